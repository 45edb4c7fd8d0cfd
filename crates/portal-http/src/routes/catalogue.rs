//! The catalogue: permissions, role presets and notification categories, as the API names them.

use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use portal_domain::notification::NotificationCategory;
use portal_domain::permission::{Permission, Role};

use crate::tags::ApiTags;

/// A permission of the catalogue.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PermissionResponse {
    /// Stable dotted key.
    #[oai(validator(max_length = 32))]
    pub key: String,
    /// What it allows.
    #[oai(validator(max_length = 512))]
    pub description: String,
    /// Whether granting it deserves a second look.
    pub sensitive: bool,
}

impl From<Permission> for PermissionResponse {
    fn from(p: Permission) -> Self {
        Self { key: p.key().to_owned(), description: p.description().to_owned(), sensitive: p.is_sensitive() }
    }
}

/// A role preset.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RoleResponse {
    /// Stable key.
    #[oai(validator(max_length = 32))]
    pub key: String,
    /// What it is for.
    #[oai(validator(max_length = 512))]
    pub description: String,
    /// The permissions it starts with.
    #[oai(validator(max_length = 32))]
    pub permissions: Vec<String>,
}

impl From<Role> for RoleResponse {
    fn from(r: Role) -> Self {
        Self {
            key: r.key().to_owned(),
            description: r.description().to_owned(),
            permissions: r.permissions().keys().into_iter().map(str::to_owned).collect(),
        }
    }
}

/// A notification category.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CategoryResponse {
    /// Stable key.
    #[oai(validator(max_length = 32))]
    pub key: String,
    /// What it carries.
    #[oai(validator(max_length = 512))]
    pub description: String,
    /// Whether users may turn it off.
    pub can_opt_out: bool,
}

impl From<NotificationCategory> for CategoryResponse {
    fn from(c: NotificationCategory) -> Self {
        Self { key: c.key().to_owned(), description: c.description().to_owned(), can_opt_out: c.can_opt_out() }
    }
}

/// The fixed catalogues clients build forms from.
#[derive(Debug)]
pub struct CatalogueApi;

#[OpenApi(tag = "ApiTags::Catalogue")]
impl CatalogueApi {
    /// Every permission, with its description and whether it is sensitive.
    #[oai(path = "/permissions", method = "get")]
    async fn permissions(&self) -> Json<Vec<PermissionResponse>> {
        Json(Permission::ALL.into_iter().map(PermissionResponse::from).collect())
    }

    /// The role presets.
    #[oai(path = "/roles", method = "get")]
    async fn roles(&self) -> Json<Vec<RoleResponse>> {
        Json(Role::ALL.into_iter().map(RoleResponse::from).collect())
    }

    /// The notification categories.
    #[oai(path = "/notification-categories", method = "get")]
    async fn categories(&self) -> Json<Vec<CategoryResponse>> {
        Json(NotificationCategory::ALL.into_iter().map(CategoryResponse::from).collect())
    }
}
