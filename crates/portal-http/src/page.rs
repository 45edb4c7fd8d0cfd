//! One page type for every list: its items and the cursor of the next page. Each list keeps
//! its own schema in the document (`MemberPage`, `InvitePage`, ...): the name and descriptions
//! come from the item type ([`Listed`]), the fields from one derived body.

use std::borrow::Cow;
use std::fmt::Display;

use poem_openapi::Object;
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::{ParseFromJSON, ToJSON, Type};

/// An item type that is listed in pages: what its page is called in the document.
pub trait Listed: Type + ToJSON + ParseFromJSON {
    /// The page's schema name.
    const PAGE: &'static str;
    /// The page's description.
    const PAGE_DESCRIPTION: &'static str;
    /// What `items` holds, in which order.
    const ITEMS: &'static str;
}

/// Names the page of an item in the document: `listed!(MemberResponse, MemberPage, "A page of
/// members.", "The members, by user id.")` implements [`Listed`] and declares the page type.
macro_rules! listed {
    ($item:ty, $page:ident, $description:literal, $items:literal) => {
        impl $crate::page::Listed for $item {
            const PAGE: &'static str = stringify!($page);
            const PAGE_DESCRIPTION: &'static str = $description;
            const ITEMS: &'static str = $items;
        }

        #[doc = $description]
        pub type $page = $crate::page::Page<$item>;
    };
}
pub(crate) use listed;

/// A page of `T`s: what every list operation answers.
#[derive(Debug)]
pub struct Page<T: Listed>(Body<T>);

/// The fields as documented and written; named and described per list by [`Page`].
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
struct Body<T: Listed> {
    items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[oai(validator(max_length = 64))]
    next_cursor: Option<String>,
}

impl<T: Listed> Page<T> {
    /// A page of `items`, followed by the page after key `next`, if any.
    pub fn new(items: Vec<T>, next: Option<impl Display>) -> Self {
        Self(Body { items, next_cursor: next.map(|k| k.to_string()) })
    }

    /// The domain's page, each item mapped for the wire.
    pub fn of<D, K: Display>(page: portal_domain::ports::Page<D, K>, item: impl FnMut(D) -> T) -> Self {
        Self::new(page.items.into_iter().map(item).collect(), page.next)
    }
}

impl<T: Listed> Type for Page<T> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        T::PAGE.into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Reference(T::PAGE.into())
    }

    fn register(registry: &mut Registry) {
        registry.create_schema::<Self, _>(T::PAGE.into(), |registry| {
            // The body's schema, read from a scratch registry so that it is not listed itself.
            let mut meta = Registry::new().create_fake_schema::<Body<T>>();
            <Vec<T> as Type>::register(registry);
            meta.title = Some(T::PAGE.into());
            meta.description = Some(T::PAGE_DESCRIPTION);
            for (name, field) in &mut meta.properties {
                if let ("items", MetaSchemaRef::Inline(schema)) = (*name, field) {
                    schema.description = Some(T::ITEMS);
                }
            }
            meta
        });
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl<T: Listed> ToJSON for Page<T> {
    fn to_json(&self) -> Option<serde_json::Value> {
        self.0.to_json()
    }
}
