//! Activity and sign-in times: recorded outside the versioned rows, so they never conflict with a
//! change.

use chrono::{DateTime, Utc};
use portal_domain::ids::{AccountId, UserId};
use portal_domain::ports::StoreError;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::SqlStore;
use crate::entity::{memberships, users};
use crate::error::db;

/// Sets the user's last login time, outside the versioned user row (on `conn`, which may be a
/// transaction).
pub(crate) async fn record_login_on(
    conn: &impl sea_orm::ConnectionTrait,
    user: UserId,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    users::Entity::update_many()
        .col_expr(users::Column::LastLoginAt, Expr::value(at))
        .filter(users::Column::Id.eq(user.as_uuid()))
        .exec(conn)
        .await
        .map_err(db("record a login"))?;
    Ok(())
}

impl SqlStore {
    pub(crate) async fn record_activity(
        &self,
        account: AccountId,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        memberships::Entity::update_many()
            .col_expr(memberships::Column::LastActiveAt, Expr::value(at))
            .filter(memberships::Column::AccountId.eq(account.as_uuid()))
            .filter(memberships::Column::UserId.eq(user.as_uuid()))
            .filter(memberships::Column::LastActiveAt.is_null().or(memberships::Column::LastActiveAt.lt(at)))
            .exec(self.conn())
            .await
            .map_err(db("record activity"))?;
        Ok(())
    }

    pub(crate) async fn record_login(&self, user: UserId, at: DateTime<Utc>) -> Result<(), StoreError> {
        record_login_on(self.conn(), user, at).await
    }
}
