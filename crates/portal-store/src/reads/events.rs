//! The audit trail: an account's events newest first, its whole history, and one target's events.

use portal_domain::account::{AccountEvent, Target};
use portal_domain::ids::AccountId;
use portal_domain::ports::{Page, PageRequest, StoreError, StoredEvent};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::SqlStore;
use crate::convert::{self, version_i64};
use crate::entity::account_events;
use crate::error::db;
use crate::reads::cached::limited;
use crate::reads::fetch_limit;

impl SqlStore {
    pub(crate) async fn account_events(
        &self,
        account: AccountId,
        req: PageRequest<u64>,
    ) -> Result<Page<StoredEvent, u64>, StoreError> {
        let mut query = account_events::Entity::find()
            .filter(account_events::Column::AccountId.eq(account.as_uuid()))
            .order_by_desc(account_events::Column::Seq);
        if let Some(after) = req.after {
            query = query.filter(account_events::Column::Seq.lt(version_i64(after)));
        }
        let rows = limited(query, fetch_limit(req.limit), self.conn()).await.map_err(db("list account events"))?;
        let items = rows.into_iter().map(convert::account_event_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, req.limit, |e| e.seq))
    }

    pub(crate) async fn account_history(&self, account: AccountId) -> Result<Vec<AccountEvent>, StoreError> {
        let rows = account_events::Entity::find()
            .filter(account_events::Column::AccountId.eq(account.as_uuid()))
            .order_by_asc(account_events::Column::Seq)
            .all(self.conn())
            .await
            .map_err(db("read account history"))?;
        rows.into_iter().map(|r| convert::account_event_from_row(r).map(|s| s.event)).collect()
    }

    pub(crate) async fn target_events(
        &self,
        account: AccountId,
        target: Target,
        req: PageRequest<u64>,
    ) -> Result<Page<StoredEvent, u64>, StoreError> {
        let mut query = account_events::Entity::find()
            .filter(account_events::Column::AccountId.eq(account.as_uuid()))
            .filter(account_events::Column::Target.eq(convert::target_text(target)))
            .order_by_desc(account_events::Column::Seq);
        if let Some(after) = req.after {
            query = query.filter(account_events::Column::Seq.lt(version_i64(after)));
        }
        let rows =
            limited(query, fetch_limit(req.limit), self.conn()).await.map_err(db("list events about a target"))?;
        let items = rows.into_iter().map(convert::account_event_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, req.limit, |e| e.seq))
    }
}
