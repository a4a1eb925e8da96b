//! Access tokens (sessions) and refresh tokens, and the session policy that makes a token
//! stop working (`401 INVALID_SESSION_ID`).

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::config::SessionPolicy;
use super::errors::SfError;
use super::util::random_alnum;

/// The user a REST call runs as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Actor {
    pub(crate) user_id: String,
    pub(crate) username: String,
}

#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub(crate) actor: Actor,
    pub(crate) issued: DateTime<Utc>,
    last_used: DateTime<Utc>,
    calls: u64,
    expired: bool,
    rest_ok: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct RefreshGrant {
    pub(crate) actor: Actor,
    pub(crate) client_id: String,
}

/// Every token the org issued.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    tokens: HashMap<String, Session>,
    refresh: HashMap<String, RefreshGrant>,
    pub(crate) issued: u64,
}

fn exceeds(elapsed: TimeDelta, limit: std::time::Duration) -> bool {
    TimeDelta::from_std(limit).is_ok_and(|l| elapsed > l)
}

/// The token of an `Authorization: Bearer …` (or jsforce's `OAuth …`) header.
pub(crate) fn bearer(header: Option<&str>) -> Option<&str> {
    let h = header?.trim();
    let (scheme, token) = h.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth"))
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl Sessions {
    /// Issue an access token (`00D…!…`).
    pub(crate) fn issue(&mut self, org_id: &str, actor: Actor, now: DateTime<Utc>) -> String {
        let org15 = org_id.get(..15).unwrap_or(org_id);
        let token = format!("{org15}!AQ{}", random_alnum(96));
        self.tokens.insert(
            token.clone(),
            Session {
                actor,
                issued: now,
                last_used: now,
                calls: 0,
                expired: false,
                rest_ok: true,
            },
        );
        self.issued += 1;
        token
    }

    /// Issue a refresh token for `client_id`.
    pub(crate) fn issue_refresh(&mut self, actor: Actor, client_id: &str) -> String {
        let token = format!("5Aep861{}", random_alnum(80));
        self.refresh.insert(
            token.clone(),
            RefreshGrant {
                actor,
                client_id: client_id.to_owned(),
            },
        );
        token
    }

    pub(crate) fn refresh_grant(&self, token: &str) -> Option<&RefreshGrant> {
        self.refresh.get(token)
    }

    pub(crate) fn revoke_refresh(&mut self, token: &str) -> bool {
        self.refresh.remove(token).is_some()
    }

    /// Revoke an access or refresh token.
    pub(crate) fn revoke(&mut self, token: &str) -> bool {
        self.tokens.remove(token).is_some() || self.revoke_refresh(token)
    }

    /// Check a token for a REST call and count the call.
    pub(crate) fn authenticate(
        &mut self,
        header: Option<&str>,
        now: DateTime<Utc>,
        policy: &SessionPolicy,
    ) -> Result<Actor, SfError> {
        let token = bearer(header).ok_or_else(SfError::session_expired)?;
        let s = self
            .tokens
            .get_mut(token)
            .ok_or_else(SfError::session_expired)?;
        let idle = now.signed_duration_since(s.last_used);
        let age = now.signed_duration_since(s.issued);
        if policy.idle_timeout.is_some_and(|l| exceeds(idle, l))
            || policy.max_age.is_some_and(|l| exceeds(age, l))
            || policy.max_calls.is_some_and(|n| s.calls >= n)
        {
            s.expired = true;
        }
        if s.expired {
            return Err(SfError::session_expired());
        }
        if !s.rest_ok {
            return Err(SfError::not_valid_for_rest());
        }
        s.calls += 1;
        s.last_used = now;
        Ok(s.actor.clone())
    }

    /// The session of a token, without counting a call (userinfo).
    pub(crate) fn peek(&self, header: Option<&str>) -> Option<&Session> {
        self.tokens.get(bearer(header)?).filter(|s| !s.expired)
    }

    /// Expire every access token now.
    pub(crate) fn expire_all(&mut self) {
        for s in self.tokens.values_mut() {
            s.expired = true;
        }
    }

    /// Expire one access token.
    pub(crate) fn expire(&mut self, token: &str) -> bool {
        self.tokens
            .get_mut(token)
            .map(|s| s.expired = true)
            .is_some()
    }

    /// Make every current access token answer "not valid for use with the REST API".
    pub(crate) fn restrict_all_from_rest(&mut self) {
        for s in self.tokens.values_mut() {
            s.rest_ok = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor() -> Actor {
        Actor {
            user_id: "005".into(),
            username: "u".into(),
        }
    }

    #[test]
    fn policy() {
        let now = Utc::now();
        let mut s = Sessions::default();
        let t = s.issue("00D5g000004Sbx1EAC", actor(), now);
        assert!(t.starts_with("00D5g000004Sbx1!AQ"));
        let h = format!("Bearer {t}");
        let p = SessionPolicy::default().max_calls(2);
        assert!(s.authenticate(Some(&h), now, &p).is_ok());
        assert!(s.authenticate(Some(&format!("OAuth {t}")), now, &p).is_ok());
        let e = s.authenticate(Some(&h), now, &p).unwrap_err();
        assert_eq!(e.code, "INVALID_SESSION_ID");
        assert_eq!(e.status, 401);
        let t2 = s.issue("00D5g000004Sbx1EAC", actor(), now);
        let h2 = format!("Bearer {t2}");
        let later = now + TimeDelta::hours(3);
        assert!(
            s.authenticate(Some(&h2), later, &SessionPolicy::default())
                .is_err()
        );
        let t3 = s.issue("00D5g000004Sbx1EAC", actor(), now);
        s.restrict_all_from_rest();
        let e = s
            .authenticate(
                Some(&format!("Bearer {t3}")),
                now,
                &SessionPolicy::default(),
            )
            .unwrap_err();
        assert_eq!(e.message, crate::salesforce::NOT_VALID_FOR_REST_MESSAGE);
        assert!(
            s.authenticate(None, now, &SessionPolicy::default())
                .is_err()
        );
        assert!(
            s.authenticate(Some("Basic abc"), now, &SessionPolicy::default())
                .is_err()
        );
        assert_eq!(s.issued, 3);
    }
}
