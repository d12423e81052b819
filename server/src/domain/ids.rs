//! Row ids as types of their own, so that a campaign id cannot be passed
//! where a user, job, shard or ledger account id is expected: `UserId`,
//! `CampaignId`, `JobId` (a report is its statistics job), `ShardId` and the
//! ledger's `AccountId`. Each is an `i64` on the wire (serde transparent, an
//! integer in the OpenAPI document) and a `BIGINT` in PostgreSQL. Ids of
//! rows no other aggregate refers to (withdrawals, transfers, sessions,
//! audit entries, contributions) are still plain `i64`.

/// Declares an id newtype over `i64` with its serde, OpenAPI and diesel
/// (`BIGINT`) mappings.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            PartialOrd,
            Ord,
            Hash,
            serde::Serialize,
            serde::Deserialize,
            utoipa::ToSchema,
            diesel::AsExpression,
            diesel::FromSqlRow,
        )]
        #[serde(transparent)]
        #[schema(value_type = i64)]
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        pub struct $name(pub i64);

        impl $name {
            /// The raw id.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::BigInt, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <i64 as diesel::serialize::ToSql<diesel::sql_types::BigInt, diesel::pg::Pg>>::to_sql(
                    &self.0, out,
                )
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::BigInt, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                <i64 as diesel::deserialize::FromSql<diesel::sql_types::BigInt, diesel::pg::Pg>>::from_sql(
                    bytes,
                )
                .map(Self)
            }
        }
    };
}

id_type!(
    /// A ledger account (wallet, escrow, mint, platform, withdrawals).
    AccountId
);
id_type!(
    /// A user (contributor, buyer or admin).
    UserId
);
id_type!(
    /// A campaign.
    CampaignId
);
id_type!(
    /// A statistics job; a report is answered under its job's id.
    JobId
);
id_type!(
    /// One shard (a range of contributions) of a statistics job.
    ShardId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_its_integer_on_the_wire() {
        let id = AccountId(42);
        assert_eq!(serde_json::to_string(&id).unwrap(), "42");
        assert_eq!(serde_json::from_str::<AccountId>("42").unwrap(), id);
        assert_eq!(id.to_string(), "42");
        assert_eq!(id.get(), 42);
    }
}
