//! Storage: the SQL of each aggregate, one module per aggregate. Functions
//! here take a connection (the caller owns the transaction), read and
//! write rows, and decide nothing; the rules live in `services`.
//!
//! Every SQL statement of the server is here (and in `schema.rs`); a grep
//! for `::table` or `sql_query` elsewhere finds none.

/// Names the states of an enum once (`Variant => "name"`) and derives from
/// that one table its `as_str`/`parse` and its storage in a `TEXT` column
/// (`ToSql`/`FromSql`), so rows carry the enum itself and an unknown stored
/// name is a read error, never a silent default. The type derives
/// `diesel::AsExpression` and `diesel::FromSqlRow` with
/// `#[diesel(sql_type = diesel::sql_types::Text)]`.
macro_rules! text_enum {
    ($t:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $t {
            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)+
                }
            }

            /// Parses a stored name.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($name => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $t {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $t {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let s = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    diesel::pg::Pg,
                >>::from_sql(bytes)?;
                Self::parse(&s)
                    .ok_or_else(|| format!("unknown {} {s:?}", stringify!($t)).into())
            }
        }
    };
}
pub(crate) use text_enum;

pub mod tx;

/// Asks PostgreSQL for nothing: whether the connection works.
pub fn ping(conn: &mut diesel::PgConnection) -> diesel::QueryResult<()> {
    use diesel::RunQueryDsl;
    diesel::sql_query("SELECT 1").execute(conn).map(|_| ())
}
pub use tx::{is_transient, is_unique_violation, Unavailable};

pub mod audit;
pub mod campaigns;
pub mod contributions;
pub mod idempotency;
pub mod jobs;
pub mod ledger;
pub mod login_throttle;
pub mod notes;
pub mod registry;
pub mod reports;
pub mod sessions;
pub mod users;
pub mod withdrawals;
