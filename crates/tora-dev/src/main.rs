//! `tora-dev`: the command-line entry for the native tooling.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "tora-dev", about = "Tora developer tooling")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve Neon's HTTP SQL protocol (`POST /sql`) over a real Postgres.
    NeonLocal {
        #[arg(long, default_value = "127.0.0.1:4444")]
        listen: SocketAddr,
        /// The Postgres the endpoint forwards to.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
    },
    /// Print the migration that seeds the exercise catalog and skill tree.
    CatalogSql,
    /// Write the OpenAPI document generated from the route table and the handlers'
    /// types to the file the worker serves (`crates/tora-core/openapi.json`).
    Openapi {
        /// Write here instead.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Apply the numbered SQL files in `migrations/` that have not been applied yet.
    Migrate {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long, default_value = "migrations")]
        dir: PathBuf,
    },
    /// Mint an HS256 token the local API accepts.
    DevToken {
        #[arg(long, env = "JWT_HS256_SECRET")]
        secret: String,
        #[arg(long, env = "JWT_ISSUER")]
        issuer: String,
        #[arg(long, env = "JWT_AUDIENCE")]
        audience: String,
        /// The user the token speaks for.
        #[arg(long, default_value = "00000000-0000-4000-8000-00000000d3b0")]
        subject: String,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 86_400)]
        ttl: i64,
    },
    /// Read chat messages from stdin, one per line (a line starting with `"` is a
    /// JSON string), and print the workout parser's JSON outcome for each.
    Parse,
    /// Serve a JWKS for the ES256/RS256 path (test harness); private keys go to `keys`.
    JwksServe {
        #[arg(long, default_value = "127.0.0.1:4455")]
        listen: SocketAddr,
        /// JSON file holding the signing keys; created when missing.
        #[arg(long)]
        keys: PathBuf,
    },
    /// Serve a local Bedrock Runtime double: Converse and InvokeModel behind real SigV4
    /// verification, with faults injected on demand (`POST /__faults`) and the calls
    /// it saw listed (`GET /__calls`). See `tora_dev::bedrock_double`.
    BedrockDouble {
        #[arg(long, default_value = "127.0.0.1:4446")]
        listen: SocketAddr,
        /// The only access key id accepted; others are `UnrecognizedClientException`.
        #[arg(long, env = "AWS_ACCESS_KEY_ID")]
        access_key_id: String,
        #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
        secret_access_key: String,
        /// When given, every SigV4 request must carry it as `x-amz-security-token`.
        #[arg(long, env = "AWS_SESSION_TOKEN", hide_env_values = true)]
        session_token: Option<String>,
        /// A Bedrock API key accepted as `Authorization: Bearer <key>`.
        #[arg(long, hide_env_values = true)]
        api_key: Option<String>,
        /// The region requests must be signed for.
        #[arg(long, default_value = "us-east-1")]
        region: String,
    },
    /// Serve a local S3 double, path-style (`/{bucket}/{key}`): presigned and
    /// header-signed PUT/GET/HEAD/DELETE behind real SigV4 verification, objects kept
    /// on disk, ListObjectsV2. See `tora_dev::s3_double`.
    S3Double {
        #[arg(long, default_value = "127.0.0.1:4447")]
        listen: SocketAddr,
        /// The only access key id accepted; others are `InvalidAccessKeyId`.
        #[arg(long, env = "S3_ACCESS_KEY_ID")]
        access_key_id: String,
        #[arg(long, env = "S3_SECRET_ACCESS_KEY", hide_env_values = true)]
        secret_access_key: String,
        /// When given, every request must carry it (`X-Amz-Security-Token`).
        #[arg(long, hide_env_values = true)]
        session_token: Option<String>,
        /// The region requests must be signed for.
        #[arg(long, default_value = "us-east-1")]
        region: String,
        /// Where objects are stored; created when missing.
        #[arg(long)]
        data_dir: PathBuf,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::NeonLocal {
            listen,
            database_url,
        } => tora_dev::neon_local::serve(listen, &database_url).await,
        Command::Migrate { database_url, dir } => tora_dev::migrate::run(&database_url, &dir)
            .await
            .map(|_| ()),
        Command::DevToken {
            secret,
            issuer,
            audience,
            subject,
            ttl,
        } => {
            let token = tora_dev::tokens::mint_hs256(
                secret.as_bytes(),
                &tora_dev::tokens::TokenSpec::new(&issuer, &audience, &subject, ttl),
            )?;
            println!("{token}");
            Ok(())
        }
        Command::BedrockDouble {
            listen,
            access_key_id,
            secret_access_key,
            session_token,
            api_key,
            region,
        } => {
            let accepted = tora_dev::bedrock_double::Accepted {
                access_key_id,
                secret_access_key,
                session_token,
                api_key,
                region,
            };
            tora_dev::bedrock_double::serve(listen, accepted).await
        }
        Command::S3Double {
            listen,
            access_key_id,
            secret_access_key,
            session_token,
            region,
            data_dir,
        } => {
            let accepted = tora_dev::s3_double::Accepted {
                access_key_id,
                secret_access_key,
                session_token,
                region,
            };
            tora_dev::s3_double::serve(listen, accepted, data_dir).await
        }
        Command::JwksServe { listen, keys } => tora_dev::tokens::serve_jwks(listen, &keys).await,
        Command::Parse => tora_dev::parse::run(std::io::stdin().lock(), std::io::stdout().lock()),
        Command::Openapi { out } => {
            let path = tora_dev::openapi::write(out.as_deref())?;
            eprintln!("wrote {}", path.display());
            Ok(())
        }
        Command::CatalogSql => {
            let catalog = tora_core::domain::catalog::Catalog::embedded()
                .map_err(|error| anyhow::anyhow!("catalog: {error}"))?;
            print!("{}", tora_dev::catalog_sql::seed_sql(catalog));
            Ok(())
        }
    }
}
