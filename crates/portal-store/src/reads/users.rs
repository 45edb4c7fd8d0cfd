//! Users: by id, status, email, many at once, and a user's events.

use portal_domain::ids::UserId;
use portal_domain::ports::StoreError;
use portal_domain::user::{User, UserEvent, UserStatus};
use portal_domain::values::EmailAddress;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::SqlStore;
use crate::convert::{self};
use crate::entity::{user_events, users};
use crate::error::db;
use crate::reads::cached::first;
use crate::sqlite;

impl SqlStore {
    pub(crate) async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let row = match self.read_inline("read a user", |c| sqlite::user(c, id.as_uuid())) {
            Some(row) => row?,
            None => {
                users::Entity::find_by_id(id.as_uuid()).all(self.conn()).await.map(first).map_err(db("read a user"))?
            }
        };
        row.map(convert::user_from_row).transpose()
    }

    pub(crate) async fn user_status(&self, id: UserId) -> Result<Option<UserStatus>, StoreError> {
        let Some(status) = self.read_inline("read a user's status", |c| sqlite::user_status(c, id.as_uuid())) else {
            return Ok(self.user(id).await?.map(|u| u.status()));
        };
        status?.map(|s| convert::user_status(&id, &s)).transpose()
    }

    pub(crate) async fn user_by_email(&self, email: &EmailAddress) -> Result<Option<User>, StoreError> {
        let row = match self.read_inline("read a user by email", |c| sqlite::user_by_email_key(c, email.normalized())) {
            Some(row) => row?,
            None => users::Entity::find()
                .filter(users::Column::EmailKey.eq(email.normalized()))
                .all(self.conn())
                .await
                .map(first)
                .map_err(db("read a user by email"))?,
        };
        row.map(convert::user_from_row).transpose()
    }

    pub(crate) async fn users(&self, ids: &[UserId]) -> Result<Vec<User>, StoreError> {
        let keys: Vec<_> = ids.iter().map(|u| u.as_uuid()).collect();
        if let Some(rows) = self.read_inline("read users", |c| sqlite::users(c, &keys)) {
            return rows?.into_iter().map(convert::user_from_row).collect();
        }
        let mut out = Vec::with_capacity(ids.len());
        // Bounded IN lists: SQLite caps bound parameters.
        for chunk in ids.chunks(500) {
            let rows = users::Entity::find()
                .filter(users::Column::Id.is_in(chunk.iter().map(|u| u.as_uuid())))
                .all(self.conn())
                .await
                .map_err(db("read users"))?;
            for row in rows {
                out.push(convert::user_from_row(row)?);
            }
        }
        Ok(out)
    }

    pub(crate) async fn user_events(&self, user: UserId) -> Result<Vec<UserEvent>, StoreError> {
        let rows = user_events::Entity::find()
            .filter(user_events::Column::UserId.eq(user.as_uuid()))
            .order_by_asc(user_events::Column::Seq)
            .all(self.conn())
            .await
            .map_err(db("read user history"))?;
        rows.into_iter().map(convert::user_event_from_row).collect()
    }
}
