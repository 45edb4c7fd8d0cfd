//! The client area in-process: a browser that keeps its cookies and the CSRF token of the last
//! page it read, and the pages' tests by area.

mod account;
mod htmx;
mod matrix;
mod me;
mod sign_in;
mod users;

use poem::http::StatusCode;
use poem::{Endpoint, Response};

use crate::support::Api;

/// The name, value and attributes of each cookie a response sets.
pub fn set_cookies(resp: &poem::test::TestResponse) -> Vec<(String, String, String)> {
    resp.0
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|line| {
            let (pair, attributes) = line.split_once(';').unwrap_or((line, ""));
            let (name, value) = pair.split_once('=')?;
            Some((name.trim().to_owned(), value.trim().to_owned(), attributes.to_owned()))
        })
        .collect()
}

/// The value of the first hidden field `name` of a page, unescaped as a browser reads it.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\" value=\"");
    let at = html.find(&needle)? + needle.len();
    let raw = html[at..].split('"').next()?;
    Some(
        raw.replace("&#43;", "+")
            .replace("&#61;", "=")
            .replace("&#47;", "/")
            .replace("&#38;", "&")
            .replace("&amp;", "&"),
    )
}

/// A browser: its cookies, sent back with each request, and the last page's CSRF token.
pub struct Browser<'a, E> {
    api: &'a Api<E>,
    pub cookies: Vec<(String, String)>,
    pub csrf: String,
}

impl<'a, E: Endpoint<Output = Response>> Browser<'a, E> {
    pub fn new(api: &'a Api<E>) -> Self {
        Self { api, cookies: Vec::new(), csrf: String::new() }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub fn session(&self) -> Option<&str> {
        self.cookies.iter().find(|(n, _)| n == "portal_session").map(|(_, v)| v.as_str())
    }

    fn keep(&mut self, resp: &poem::test::TestResponse) {
        for (name, value, attributes) in set_cookies(resp) {
            self.cookies.retain(|(n, _)| *n != name);
            if !value.is_empty() && !attributes.to_ascii_lowercase().contains("max-age=0") {
                self.cookies.push((name, value));
            }
        }
    }

    async fn read(&mut self, resp: poem::test::TestResponse) -> (StatusCode, String) {
        self.keep(&resp);
        let status = resp.0.status();
        let html = resp.0.into_body().into_string().await.unwrap();
        if let Some(token) = hidden(&html, "csrf") {
            self.csrf = token;
        }
        (status, html)
    }

    /// Opens a page.
    pub async fn get(&mut self, path: &str) -> (StatusCode, String) {
        let resp = self.api.get(path).header("cookie", self.cookie_header()).send().await;
        self.read(resp).await
    }

    /// Opens a page with these request headers too (what htmx sends); the answer's headers.
    pub async fn get_with(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, poem::http::HeaderMap, String) {
        let mut request = self.api.get(path).header("cookie", self.cookie_header());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let resp = request.send().await;
        let answered = resp.0.headers().clone();
        let (status, html) = self.read(resp).await;
        (status, answered, html)
    }

    /// Opens a page, following redirects (at most five) as a browser does.
    pub async fn visit(&mut self, path: &str) -> (StatusCode, String) {
        let mut path = path.to_owned();
        for _ in 0..5 {
            let resp = self.api.get(&path).header("cookie", self.cookie_header()).send().await;
            if resp.0.status() == StatusCode::SEE_OTHER {
                self.keep(&resp);
                path = resp.0.headers()["location"].to_str().unwrap().to_owned();
                continue;
            }
            return self.read(resp).await;
        }
        panic!("a redirect loop at {path}");
    }

    /// Posts a form from this site with the CSRF token of the last page read; the answer's status,
    /// its `Location` when it redirects, and its body.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, Option<String>, String) {
        let mut form: Vec<(&str, &str)> = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        let resp = self
            .api
            .post(path)
            .header("cookie", self.cookie_header())
            .header("sec-fetch-site", "same-origin")
            .form(&form)
            .send()
            .await;
        let location = resp.0.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
        let (status, html) = self.read(resp).await;
        (status, location, html)
    }

    /// Signs in through the form.
    pub async fn sign_in(&mut self, email: &str) {
        self.get("/sign-in").await;
        let (status, location, _) =
            self.post("/sign-in", &[("email", email), ("password", crate::support::PASSWORD)]).await;
        assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/")), "sign-in of {email}");
    }
}

/// The token of the newest mail to `to` that carries one, as its reader would take it.
pub fn mailed_token<E>(api: &Api<E>, to: &str) -> String {
    api.portal
        .store()
        .outbox()
        .into_iter()
        .rev()
        .find(|m| m.to.as_str() == to && m.message.token().is_some())
        .and_then(|m| m.message.token().map(str::to_owned))
        .unwrap_or_else(|| panic!("no mail with a link to {to}"))
}
