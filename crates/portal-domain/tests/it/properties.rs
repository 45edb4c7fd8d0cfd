//! Random sequences of commands by random actors over random accounts; after every step the
//! invariants of DESIGN.md hold. `PROPTEST_CASES` sets the number of sequences (default 10,000).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use portal_domain::account::{
    Account, AccountChange, AccountCommand, AccountEvent, EditMember, InviteMember, InviteOffer, InviteStatus,
    NewContact, ProfilePatch, open_account,
};
use portal_domain::ids::{AccountId, ContactId, InviteId, NoticeId};
use portal_domain::notification::{CategorySet, NotificationCategory, NotificationPreferences};
use portal_domain::permission::{Permission, PermissionSet};
use portal_domain::routing::{MemberAddress, MemberDirectory, route};
use portal_domain::values::{CompanyName, PersonName, TokenDigest};
use portal_domain::{Actor, DomainError};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

use crate::fixtures::*;

const USERS: usize = 6;
const ACCOUNTS: usize = 2;

#[derive(Debug, Clone)]
enum Op {
    Invite { to: usize, permissions: PermissionSet, ends_in_days: Option<i64> },
    Resend { pick: usize },
    Cancel { pick: usize },
    Accept { token_pick: usize, as_invitee: bool },
    Decline { token_pick: usize },
    Edit { target: usize, permissions: Option<PermissionSet>, ends_in_days: Option<Option<i64>> },
    Remove { target: usize },
    Leave,
    Transfer { to: usize },
    Reassign { to: usize, remove_previous: bool },
    UpdateProfile,
    AddContact { who: usize, categories: CategorySet },
    RemoveContact { pick: usize },
    Review { removed: Vec<usize> },
    Notice { category: NotificationCategory },
    Close,
    Advance { hours: i64 },
}

#[derive(Debug, Clone)]
struct Step {
    /// 0..USERS is a user; USERS is the operator.
    actor: usize,
    account: usize,
    op: Op,
}

fn op() -> impl Strategy<Value = Op> {
    let user = 0..USERS;
    let set = portal_domain::strategies::permission_set;
    prop_oneof![
        6 => (user.clone(), set(), proptest::option::weighted(0.2, 1i64..30)).prop_map(|(to, permissions, ends_in_days)| Op::Invite { to, permissions, ends_in_days }),
        2 => any::<usize>().prop_map(|pick| Op::Resend { pick }),
        1 => any::<usize>().prop_map(|pick| Op::Cancel { pick }),
        6 => (any::<usize>(), proptest::bool::weighted(0.85)).prop_map(|(token_pick, as_invitee)| Op::Accept { token_pick, as_invitee }),
        1 => any::<usize>().prop_map(|token_pick| Op::Decline { token_pick }),
        10 => (user.clone(), proptest::option::of(set()), proptest::option::weighted(0.2, proptest::option::of(1i64..30)))
            .prop_map(|(target, permissions, ends_in_days)| Op::Edit { target, permissions, ends_in_days }),
        3 => user.clone().prop_map(|target| Op::Remove { target }),
        1 => Just(Op::Leave),
        3 => user.clone().prop_map(|to| Op::Transfer { to }),
        1 => (user.clone(), any::<bool>()).prop_map(|(to, remove_previous)| Op::Reassign { to, remove_previous }),
        1 => Just(Op::UpdateProfile),
        2 => (0..USERS + 3, portal_domain::strategies::category_set()).prop_map(|(who, categories)| Op::AddContact { who, categories }),
        1 => any::<usize>().prop_map(|pick| Op::RemoveContact { pick }),
        1 => proptest::collection::vec(user.clone(), 0..3).prop_map(|removed| Op::Review { removed }),
        1 => portal_domain::strategies::category().prop_map(|category| Op::Notice { category }),
        1 => proptest::bool::weighted(0.1).prop_map(|close| if close { Op::Close } else { Op::Advance { hours: 1 } }),
        2 => (1i64..24 * 10).prop_map(|hours| Op::Advance { hours }),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    // Owners act often (they can do the most), the operator rarely.
    (prop_oneof![4 => Just(None), 5 => (0..USERS).prop_map(Some), 1 => Just(Some(USERS))], 0..ACCOUNTS, op())
        .prop_map(|(actor, account, op)| Step { actor: actor.unwrap_or(account), account, op })
}

struct World {
    accounts: Vec<Account>,
    histories: Vec<Vec<AccountEvent>>,
    verified: Vec<bool>,
    directory: MemberDirectory,
    /// Every token ever issued, with its account: stale ones included, to try them.
    tokens: Vec<(usize, String, usize)>,
    next_id: u128,
    now: DateTime<Utc>,
}

fn n(i: usize) -> u128 {
    i as u128 + 1
}

impl World {
    fn new(verified: Vec<bool>, prefs: Vec<NotificationPreferences>) -> Self {
        let mut accounts = Vec::new();
        let mut histories = Vec::new();
        for i in 0..ACCOUNTS {
            // Account i is owned by user i.
            let mut a = account();
            let profile = a.profile().clone();
            let opened = open_account(
                AccountId::from_uuid(uuid::Uuid::from_u128(0xA000 + i as u128)),
                user(n(i)),
                profile,
                t0(),
            );
            a = Account::from_opened(&opened).unwrap();
            accounts.push(a);
            histories.push(vec![opened]);
        }
        let directory = MemberDirectory::new((0..USERS).zip(prefs).map(|(i, preferences)| MemberAddress {
            user: user(n(i)),
            email: email_of(n(i)),
            preferences,
            disabled: false,
        }));
        Self { accounts, histories, verified, directory, tokens: Vec::new(), next_id: 1, now: t0() }
    }

    /// An accept "as the invitee" is made by the person the picked token was sent to.
    fn resolve(&self, s: &Step) -> Step {
        let mut s = s.clone();
        if let Op::Accept { token_pick, as_invitee: true } = s.op {
            let mine: Vec<usize> =
                self.tokens.iter().filter(|(a, _, _)| *a == s.account).map(|(_, _, to)| *to).collect();
            if !mine.is_empty() {
                s.actor = mine[token_pick % mine.len()];
            }
        }
        s
    }

    fn fresh(&mut self) -> u128 {
        self.next_id += 1;
        self.next_id
    }

    fn command(&mut self, s: &Step) -> Option<AccountCommand> {
        let a = &self.accounts[s.account];
        let invites: Vec<InviteId> = a.invites().map(|i| i.id()).collect();
        let contacts: Vec<ContactId> = a.contacts().map(|c| c.id()).collect();
        let pick_token = |pick: usize, tokens: &[(usize, String, usize)]| {
            let mine: Vec<&(usize, String, usize)> = tokens.iter().filter(|(acc, _, _)| *acc == s.account).collect();
            (!mine.is_empty()).then(|| mine[pick % mine.len()].clone())
        };
        Some(match &s.op {
            Op::Invite { to, permissions, ends_in_days } => {
                let id = self.fresh();
                let token = format!("tok-{id}");
                self.tokens.push((s.account, token.clone(), *to));
                AccountCommand::Invite(InviteMember {
                    id: InviteId::from_uuid(uuid::Uuid::from_u128(id)),
                    offer: InviteOffer {
                        email: email_of(n(*to)),
                        name: None,
                        permissions: *permissions,
                        role: None,
                        access_ends_at: ends_in_days.map(|d| self.now + Duration::days(d)),
                    },
                    token: TokenDigest::new(token),
                    existing_user: Some(user(n(*to))),
                })
            }
            Op::Resend { pick } if !invites.is_empty() => {
                let invite = invites[pick % invites.len()];
                let to =
                    a.invite(invite).map_or(0, |i| (0..USERS).find(|k| email_of(n(*k)) == *i.email()).unwrap_or(0));
                let id = self.fresh();
                let token = format!("tok-{id}");
                self.tokens.push((s.account, token.clone(), to));
                AccountCommand::ResendInvite { invite, token: TokenDigest::new(token) }
            }
            Op::Cancel { pick } if !invites.is_empty() => {
                AccountCommand::CancelInvite { invite: invites[pick % invites.len()] }
            }
            Op::Accept { token_pick, .. } => {
                let (_, token, _) = pick_token(*token_pick, &self.tokens)?;
                let verified = s.actor < USERS && self.verified[s.actor];
                let email = email_of(n(s.actor.min(USERS - 1)));
                AccountCommand::AcceptInvite { token: TokenDigest::new(token), email, email_verified: verified }
            }
            Op::Decline { token_pick } => {
                AccountCommand::DeclineInvite { token: TokenDigest::new(pick_token(*token_pick, &self.tokens)?.1) }
            }
            Op::Edit { target, permissions, ends_in_days } => AccountCommand::EditMember(EditMember {
                user: user(n(*target)),
                permissions: *permissions,
                role: None,
                ends_at: ends_in_days.map(|o| o.map(|d| self.now + Duration::days(d))),
            }),
            Op::Remove { target } => AccountCommand::RemoveMember { user: user(n(*target)) },
            Op::Leave => AccountCommand::Leave,
            Op::Transfer { to } => AccountCommand::TransferOwnership { to: user(n(*to)) },
            Op::Reassign { to, remove_previous } => {
                AccountCommand::ReassignOwner { to: user(n(*to)), remove_previous: *remove_previous }
            }
            Op::UpdateProfile => {
                let id = self.fresh();
                AccountCommand::UpdateProfile(ProfilePatch {
                    display_name: Some(CompanyName::parse(&format!("Name {id}")).unwrap()),
                    ..ProfilePatch::default()
                })
            }
            Op::AddContact { who, categories } => {
                let id = self.fresh();
                AccountCommand::AddContact(NewContact {
                    id: ContactId::from_uuid(uuid::Uuid::from_u128(id)),
                    name: PersonName::parse("Contact").unwrap(),
                    email: email_of(n(*who)),
                    phone: None,
                    company: None,
                    categories: *categories,
                })
            }
            Op::RemoveContact { pick } if !contacts.is_empty() => {
                AccountCommand::RemoveContact { contact: contacts[pick % contacts.len()] }
            }
            Op::Review { removed } => AccountCommand::RecordAccessReview {
                confirmed: vec![],
                removed: removed.iter().map(|i| user(n(*i))).collect(),
            },
            Op::Notice { category } => AccountCommand::RecordNotice {
                notice: NoticeId::from_uuid(uuid::Uuid::from_u128(self.fresh())),
                category: *category,
                subject: CompanyName::parse("Subject").unwrap(),
                directory: self.directory.clone(),
            },
            Op::Close => AccountCommand::Close,
            Op::Advance { hours } => {
                self.now += Duration::hours(*hours);
                return None;
            }
            Op::Resend { .. } | Op::Cancel { .. } | Op::RemoveContact { .. } => return None,
        })
    }
}

fn actor_of(i: usize) -> Actor {
    if i < USERS { Actor::User(user(n(i))) } else { Actor::Operator }
}

/// Rule 3 for one event, judged against the state before it.
fn check_grant(pre: &Account, actor: &Actor, event: &AccountEvent, now: DateTime<Utc>) -> Result<(), String> {
    let held_by = |u| pre.permissions_of(u, now);
    match &event.change {
        AccountChange::MemberInvited { permissions, .. } => {
            let a = actor.user().ok_or("a non-user invited")?;
            if !held_by(a).is_superset(*permissions) {
                return Err(format!("{a} invited with {permissions:?} holding {:?}", held_by(a)));
            }
            if permissions.contains(Permission::AccountProfileManage) && a != pre.owner() {
                return Err("a non-owner granted the master profile by invite".into());
            }
        }
        AccountChange::InviteResent { invite, .. } => {
            let a = actor.user().ok_or("a non-user re-sent")?;
            let p = pre.invite(*invite).ok_or("re-sent a missing invite")?.permissions();
            if !held_by(a).is_superset(p) {
                return Err(format!("{a} re-sent {p:?} holding {:?}", held_by(a)));
            }
        }
        AccountChange::MemberEdited { user, permissions: Some(p), .. } => {
            let a = actor.user().ok_or("a non-user edited")?;
            let old = pre.member(*user).ok_or("edited a non-member")?.permissions();
            let added = p.difference(old);
            if !held_by(a).is_superset(added) {
                return Err(format!("{a} added {added:?} holding {:?}", held_by(a)));
            }
            if added.contains(Permission::AccountProfileManage) && a != pre.owner() {
                return Err("a non-owner granted the master profile by edit".into());
            }
            if *user == a || *user == pre.owner() {
                return Err("edited self or the owner".into());
            }
        }
        AccountChange::InviteAccepted { invite, user, permissions, invited_by, .. } => {
            let i = pre.invite(*invite).ok_or("accepted a missing invite")?;
            if i.status(now) != InviteStatus::Pending {
                return Err(format!("accepted an invite that was {:?}", i.status(now)));
            }
            if Actor::User(*user) != *actor || *i.email() != email_of_user(*user) {
                return Err("an invite was accepted by someone it was not sent to".into());
            }
            if !held_by(*invited_by).is_superset(*permissions) {
                return Err("an accepted invite granted what its inviter no longer holds".into());
            }
        }
        AccountChange::MemberRemoved { user } if actor.user().is_some() => {
            let a = actor.user().ok_or("unreachable")?;
            let target = pre.member(*user).ok_or("removed a non-member")?;
            if *user == pre.owner() || !held_by(a).is_superset(target.permissions()) {
                return Err("rule 4: removed the owner or someone holding more".into());
            }
        }
        _ => {}
    }
    Ok(())
}

fn email_of_user(u: portal_domain::ids::UserId) -> portal_domain::values::EmailAddress {
    (1..=USERS as u128).find(|k| user(*k) == u).map(email_of).unwrap_or_else(|| email("nobody@example.com"))
}

fn run_sequence(
    verified: Vec<bool>,
    prefs: Vec<NotificationPreferences>,
    steps: Vec<Step>,
) -> Result<(), TestCaseError> {
    let mut world = World::new(verified, prefs);
    for s in &steps {
        let s = &world.resolve(s);
        let Some(command) = world.command(s) else { continue };
        let actor = actor_of(s.actor);
        let now = world.now;
        let pre = world.accounts[s.account].clone();
        let token_command =
            matches!(command, AccountCommand::AcceptInvite { .. } | AccountCommand::DeclineInvite { .. });
        let operator_command =
            matches!(command, AccountCommand::ReassignOwner { .. } | AccountCommand::RecordNotice { .. });
        let result = pre.decide(&actor, command, now);

        // Rule 7: whoever is not a current member can do nothing in the account.
        if let Actor::User(u) = actor
            && !pre.is_visible_to(u, now)
            && !token_command
        {
            prop_assert_eq!(
                result.clone().err(),
                Some(DomainError::AccountNotFound),
                "{:?} acted without membership",
                s
            );
        }
        if operator_command && actor != Actor::Operator {
            prop_assert!(result.is_err(), "a user ran an operator command");
        }
        let Ok(events) = result else { continue };
        let mut next = pre.clone();
        for e in &events {
            check_grant(&next, &actor, e, now).map_err(|m| TestCaseError::fail(format!("{m} at {s:?}")))?;
            next.apply(e);
        }
        // Rule 1.
        next.check_invariants().map_err(|m| TestCaseError::fail(format!("rule 1: {m} after {s:?}")))?;
        // Rule 7: a member removed (or gone) in this step can do nothing on the next command.
        for e in &events {
            if let AccountChange::MemberRemoved { user } | AccountChange::MemberLeft { user } = e.change {
                let again = next.decide(&Actor::User(user), AccountCommand::Leave, now);
                prop_assert_eq!(again.err(), Some(DomainError::AccountNotFound));
                let invite = AccountCommand::Invite(InviteMember {
                    id: InviteId::from_uuid(uuid::Uuid::from_u128(u128::MAX)),
                    offer: InviteOffer {
                        email: email("late@example.com"),
                        name: None,
                        permissions: PermissionSet::EMPTY,
                        role: None,
                        access_ends_at: None,
                    },
                    token: TokenDigest::new("late"),
                    existing_user: None,
                });
                prop_assert_eq!(next.decide(&Actor::User(user), invite, now).err(), Some(DomainError::AccountNotFound));
            }
        }
        // Rule 8.
        for category in NotificationCategory::ALL {
            let got = route(&next, &world.directory, category, now);
            prop_assert!(!got.is_empty(), "no recipient for {category}");
            let mut seen = std::collections::HashSet::new();
            for r in &got {
                prop_assert!(seen.insert(r.email.normalized().to_owned()), "{} twice for {category}", r.email);
            }
        }
        world.histories[s.account].extend(events);
        world.accounts[s.account] = next;
    }
    // The events are the whole truth: replaying them gives the state.
    for (a, history) in world.accounts.iter().zip(&world.histories) {
        let replayed = Account::replay(history);
        prop_assert_eq!(replayed.as_ref(), Some(a));
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000)
}

#[test]
fn invariants_hold_after_every_step_of_random_command_sequences() {
    let mut runner = TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() });
    let strategy = (
        proptest::collection::vec(proptest::bool::weighted(0.8), USERS),
        proptest::collection::vec(portal_domain::strategies::preferences(), USERS),
        proptest::collection::vec(step(), 1..40),
    );
    let outcome = runner.run(&strategy, |(verified, prefs, steps)| run_sequence(verified, prefs, steps));
    if let Err(e) = outcome {
        panic!("{e}");
    }
}

#[test]
fn the_sequences_exercise_the_interesting_paths() {
    // Guards against a generator that only ever produces refusals: run a sample and count what
    // was accepted, by kind.
    let mut runner = TestRunner::deterministic();
    let strategy = (
        proptest::collection::vec(Just(true), USERS),
        proptest::collection::vec(Just(NotificationPreferences::default()), USERS),
        proptest::collection::vec(step(), 30..40),
    );
    let mut kinds: HashMap<&'static str, usize> = HashMap::new();
    for _ in 0..300 {
        let (verified, prefs, steps) = strategy.new_tree(&mut runner).unwrap().current();
        let mut world = World::new(verified, prefs);
        for s in &steps {
            let s = &world.resolve(s);
            let Some(command) = world.command(s) else { continue };
            let pre = world.accounts[s.account].clone();
            if let Ok(events) = pre.decide(&actor_of(s.actor), command, world.now) {
                let mut next = pre;
                for e in &events {
                    *kinds.entry(e.change.kind()).or_default() += 1;
                    next.apply(e);
                }
                world.accounts[s.account] = next;
            }
        }
    }
    for kind in [
        "invite.sent",
        "invite.accepted",
        "invite.resent",
        "member.edited",
        "member.removed",
        "account.ownership_transferred",
        "contact.added",
        "notice.recorded",
    ] {
        assert!(kinds.get(kind).copied().unwrap_or(0) >= 5, "{kind} happened {:?} times: {kinds:?}", kinds.get(kind));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The populated-account strategy (for other teams' suites) yields valid accounts, and every
    /// command from the command strategy leaves them valid or is refused without a change.
    #[test]
    fn any_command_on_a_populated_account_keeps_it_valid(
        account in portal_domain::strategies::populated_account(8),
        command in portal_domain::strategies::account_command(),
        actor_pick in any::<prop::sample::Index>(),
    ) {
        prop_assert_eq!(account.check_invariants(), Ok(()));
        let members = account.members();
        let actor = Actor::User(members[actor_pick.index(members.len())].user());
        let now = account.created_at() + Duration::hours(1);
        if let Ok(events) = account.decide(&actor, command, now) {
            let mut next = account.clone();
            for e in &events {
                next.apply(e);
            }
            prop_assert_eq!(next.check_invariants(), Ok(()));
        }
    }
}
