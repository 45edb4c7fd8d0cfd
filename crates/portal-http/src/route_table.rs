//! The routes the server answers, as templates (`/api/v1/accounts/{id}/users`) with their methods:
//! the label a request is counted under in the metrics, and the `Allow` list of a 405.
//!
//! Built once from the operations' own metadata, so a route cannot be served and left out here.

use poem::http::Method;

/// One path template and the methods it answers.
#[derive(Debug, Clone)]
struct Template {
    text: String,
    segments: Vec<Segment>,
    methods: Vec<Method>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
    /// Matches the rest of the path, however long (a nested endpoint such as `/docs`).
    Rest,
}

/// Every route the server answers.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    templates: Vec<Template>,
}

/// The label of a request that matched no route.
pub const UNMATCHED: &str = "unmatched";

impl RouteTable {
    /// The operations of an OpenAPI service mounted at `prefix`.
    pub fn from_meta(prefix: &str, apis: &[poem_openapi::registry::MetaApi]) -> Self {
        let mut table = Self::default();
        for api in apis {
            for path in &api.paths {
                for op in &path.operations {
                    table.add(&format!("{prefix}{}", path.path), op.method.clone());
                }
            }
        }
        table
    }

    /// Adds `method` on `template` (`{name}` or poem's `:name` a parameter, a trailing `*` the
    /// rest of the path).
    pub fn add(&mut self, template: &str, method: Method) {
        let template: &str = &split(template)
            .map(|s| match s.strip_prefix(':') {
                Some(name) => format!("/{{{name}}}"),
                None => format!("/{s}"),
            })
            .collect::<String>();
        if let Some(t) = self.templates.iter_mut().find(|t| t.text == template) {
            if !t.methods.contains(&method) {
                t.methods.push(method);
            }
            return;
        }
        let segments = split(template)
            .map(|s| match s {
                "*" => Segment::Rest,
                s if s.starts_with('{') && s.ends_with('}') => Segment::Param,
                s => Segment::Literal(s.to_owned()),
            })
            .collect();
        self.templates.push(Template { text: template.to_owned(), segments, methods: vec![method] });
    }

    fn find(&self, path: &str) -> Option<&Template> {
        // A literal match beats a parameter (`/admin/accounts` before `/accounts/{id}` never
        // collide, but `/invites/preview` and a `/invites/{id}` would).
        let mut best: Option<(&Template, usize)> = None;
        for t in &self.templates {
            if let Some(score) = matches(&t.segments, path)
                && best.is_none_or(|(_, b)| score > b)
            {
                best = Some((t, score));
            }
        }
        best.map(|(t, _)| t)
    }

    /// Every (method, template) served, in the order they were added.
    pub fn operations(&self) -> Vec<(Method, &str)> {
        self.templates.iter().flat_map(|t| t.methods.iter().map(|m| (m.clone(), t.text.as_str()))).collect()
    }

    /// The template `path` matches, or [`UNMATCHED`].
    pub fn label(&self, path: &str) -> &str {
        self.find(path).map_or(UNMATCHED, |t| t.text.as_str())
    }

    /// The methods `path` answers, for an `Allow` header (`HEAD` with `GET`); empty if none.
    pub fn allowed(&self, path: &str) -> String {
        let Some(t) = self.find(path) else { return String::new() };
        let mut methods: Vec<&str> = t.methods.iter().map(Method::as_str).collect();
        if t.methods.contains(&Method::GET) && !t.methods.contains(&Method::HEAD) {
            methods.push("HEAD");
        }
        methods.sort_unstable();
        methods.join(", ")
    }
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// How many literal segments matched, when the whole path matched.
fn matches(template: &[Segment], path: &str) -> Option<usize> {
    let mut literals = 0;
    let mut parts = split(path);
    for segment in template {
        match segment {
            Segment::Rest => return Some(literals),
            Segment::Param => {
                parts.next()?;
            }
            Segment::Literal(l) => {
                if parts.next()? != l {
                    return None;
                }
                literals += 1;
            }
        }
    }
    parts.next().is_none().then_some(literals)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable {
        let mut t = RouteTable::default();
        t.add("/api/v1/accounts/{id}/users", Method::GET);
        t.add("/api/v1/accounts/{id}/users/{user_id}", Method::GET);
        t.add("/api/v1/accounts/{id}/users/{user_id}", Method::PATCH);
        t.add("/api/v1/accounts/{id}/users/{user_id}", Method::DELETE);
        t.add("/api/v1/invites/{id}", Method::GET);
        t.add("/api/v1/invites/preview", Method::POST);
        t.add("/api/v1/contacts/:contact_id", Method::GET);
        t.add("/docs/*", Method::GET);
        t
    }

    #[test]
    fn a_path_is_labelled_by_its_template_and_junk_is_unmatched() {
        let t = table();
        assert_eq!(
            t.label("/api/v1/accounts/019b76da-a802-7000-8000-000000000002/users"),
            "/api/v1/accounts/{id}/users"
        );
        assert_eq!(t.label("/api/v1/accounts/x/users/"), "/api/v1/accounts/{id}/users");
        assert_eq!(t.label("/api/v1/invites/preview"), "/api/v1/invites/preview");
        assert_eq!(t.label("/api/v1/invites/other"), "/api/v1/invites/{id}");
        assert_eq!(t.label("/api/v1/contacts/c"), "/api/v1/contacts/{contact_id}");
        assert_eq!(t.label("/docs"), "/docs/*");
        assert_eq!(t.label("/docs/oauth-receiver.html"), "/docs/*");
        assert_eq!(t.label("/x\"}\\"), UNMATCHED);
        assert_eq!(t.label("/api/v1/accounts/x/users/y/z"), UNMATCHED);
    }

    #[test]
    fn allowed_lists_every_method_of_the_template() {
        let t = table();
        assert_eq!(t.allowed("/api/v1/accounts/a/users/b"), "DELETE, GET, HEAD, PATCH");
        assert_eq!(t.allowed("/api/v1/invites/preview"), "POST");
        assert_eq!(t.allowed("/nowhere"), "");
    }
}
