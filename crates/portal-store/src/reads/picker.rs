//! The account picker's read, [`Store::memberships_of`](portal_domain::ports::Store::memberships_of):
//! a user's memberships with their accounts, where one row that cannot be read costs only itself.

use portal_domain::ids::{AccountId, UserId};
use portal_domain::ports::{MembershipListing, Page, PageRequest, StoreError};

use crate::SqlStore;
use crate::convert;
use crate::reads::{access_from, fetch_limit};
use crate::sqlite;

/// A user's memberships with their accounts, by account id; unreadable ones are left out.
pub(crate) async fn memberships_of(
    store: &SqlStore,
    user: UserId,
    req: PageRequest<AccountId>,
) -> Result<Page<MembershipListing, AccountId>, StoreError> {
    let inline = store.read_inline("list a user's accounts", |c| {
        sqlite::memberships_of(c, user.as_uuid(), req.after.map(|a| a.as_uuid()), fetch_limit(req.limit))
    });
    let Some(rows) = inline else { return one_by_one(store, user, req).await };
    let mut rows = rows?;
    let more = rows.len() > req.limit;
    rows.truncate(req.limit);
    let next = more
        .then(|| rows.last().map(|r| AccountId::from_uuid(r.as_ref().map_or_else(|(a, _)| *a, |r| r.0.account_id))))
        .flatten();
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let listing = match row {
            Ok((membership, status, owner, display_name)) => {
                let account = AccountId::from_uuid(membership.account_id);
                convert::display_name(&account, &display_name).and_then(|display_name| {
                    Ok(MembershipListing {
                        account,
                        display_name,
                        access: access_from(account, membership, &status, owner)?,
                    })
                })
            }
            Err((account, e)) => {
                Err(StoreError::with_source(format!("membership {account}/{user} does not decode"), e))
            }
        };
        match listing {
            Ok(listing) => items.push(listing),
            Err(e) => unreadable_membership(user, &e),
        }
    }
    Ok(Page { items, next })
}

/// One membership that cannot be read must not lock its user out of sign-in and the account
/// picker: it is left out, and said so in the log (the table, the row, the cause).
fn unreadable_membership(user: UserId, e: &StoreError) {
    let mut chain = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        chain.push_str(": ");
        chain.push_str(&c.to_string());
        cause = c.source();
    }
    tracing::warn!(table = "memberships", %user, error = %chain, "left out an unreadable row");
}

/// [`memberships_of`] through SeaORM: the page's account ids (never a bad column), then each
/// membership with its account, leaving out any that does not read.
async fn one_by_one(
    store: &SqlStore,
    user: UserId,
    req: PageRequest<AccountId>,
) -> Result<Page<MembershipListing, AccountId>, StoreError> {
    let ids = store.accounts_of(user, req).await?;
    let mut items = Vec::with_capacity(ids.items.len());
    for account in ids.items {
        let listing = async {
            let row = store.membership_with_account(account, user).await?;
            let Some((membership, Some(owner_account))) = row else { return Ok(None) };
            Ok::<_, StoreError>(Some(MembershipListing {
                account,
                display_name: convert::display_name(&account, &owner_account.display_name)?,
                access: access_from(account, membership, &owner_account.status, owner_account.owner_id)?,
            }))
        };
        match listing.await {
            Ok(Some(listing)) => items.push(listing),
            Ok(None) => {}
            Err(e) => unreadable_membership(user, &e),
        }
    }
    Ok(Page { items, next: ids.next })
}
