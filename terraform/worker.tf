# The worker on Cloudflare: the script (cloudflare_worker), each build as a version
# (cloudflare_worker_version: the JavaScript shim and the .wasm module, with every
# binding), the deployment that sends all traffic to the latest version, the Cron
# Trigger and the custom domain.
#
# Every var, secret, rate limit and schedule below is one of config::SETTINGS in
# crates/tora-core/src/config.rs; `cargo test -p tora-dev --test config_consistency`
# fails when this file and the code disagree (a binding the code does not read, a
# required setting or secret neither bound nor listed in settings_not_deployed).

locals {
  # Plain-text vars.
  worker_vars = {
    NEON_SQL_URL               = local.neon_sql_url
    JWT_ISSUER                 = var.jwt_issuer
    JWT_AUDIENCE               = var.jwt_audience
    JWKS_URL                   = var.jwks_url
    STARTER_CREDITS            = tostring(var.starter_credits)
    TOKENS_PER_CREDIT          = tostring(var.tokens_per_credit)
    CORS_ALLOWED_ORIGINS       = join(",", var.cors_allowed_origins)
    RATE_LIMIT_PERIOD_SECONDS  = "60"
    BEDROCK_MODEL_ID           = var.bedrock_model_id
    BEDROCK_REGION             = var.bedrock_region
    EMBEDDING_DIMENSIONS       = tostring(var.embedding_dimensions)
    S3_BUCKET                  = aws_s3_bucket.uploads.bucket
    S3_REGION                  = var.aws_region
    UPLOAD_URL_EXPIRES_SECONDS = tostring(var.upload_url_expires_seconds)
    VIDEO_CDN_DOMAIN           = aws_cloudfront_distribution.videos.domain_name
  }

  # Secrets, straight from the resources that make them: nobody copies them.
  worker_secrets = {
    DATABASE_URL          = local.database_url
    SUBJECT_HASH_KEY      = random_password.subject_hash_key.result
    ADMIN_API_SECRET      = random_password.admin_api_secret.result
    AWS_ACCESS_KEY_ID     = aws_iam_access_key.bedrock.id
    AWS_SECRET_ACCESS_KEY = aws_iam_access_key.bedrock.secret
    S3_ACCESS_KEY_ID      = aws_iam_access_key.uploads.id
    S3_SECRET_ACCESS_KEY  = aws_iam_access_key.uploads.secret
  }

  # Bound only when given (an identity provider that still signs with HS256).
  worker_optional_secrets = nonsensitive(var.jwt_hs256_secret == null) ? {} : {
    JWT_HS256_SECRET = var.jwt_hs256_secret
  }

  # Settings the code reads that this deployment deliberately leaves unset, and why.
  settings_not_deployed = {
    JWKS_UNKNOWN_KID_REFETCH_SECONDS = "the default (30 s) is right in production; tests set 0"
    BEDROCK_API_KEY                  = "the Bedrock IAM user's access keys sign every call"
    AWS_SESSION_TOKEN                = "an IAM user's keys are long-lived: there is no session"
    BEDROCK_ENDPOINT                 = "the real endpoint of BEDROCK_REGION; only tests point it at the double"
    BEDROCK_RETRY_BUDGET_MS          = "the default (8000 ms)"
    CHAT_MODEL_WAIT_MS               = "the default (5000 ms)"
    MODEL_MIN_CONFIDENCE             = "the default (0.6)"
    PENDING_MAX_ATTEMPTS             = "the default (5)"
    PENDING_RETRY_BASE_SECONDS       = "the default (60 s)"
    S3_ENDPOINT                      = "the bucket's virtual-hosted endpoint; only tests point it at the double"
    S3_SESSION_TOKEN                 = "an IAM user's keys are long-lived: there is no session"
  }

  # The Workers Rate Limiting bindings (namespace ids are the account's choice, one per limiter).
  rate_limits = {
    PER_IP_LIMITER   = { namespace_id = "1001", limit = 600, period = 60 }
    PER_USER_LIMITER = { namespace_id = "1002", limit = 120, period = 60 }
  }

  # The Cron Trigger: credit holds given back, pending messages retried.
  cron_schedules = ["*/5 * * * *"]
}

# Generated once per environment and kept in state. Changing SUBJECT_HASH_KEY forgets who
# already had the starter grant, so it is never rotated by accident.
resource "random_password" "subject_hash_key" {
  length  = 64
  special = false

  lifecycle {
    prevent_destroy = true
  }
}

# The bearer secret of POST /admin/credits: `terraform output -raw admin_api_secret`.
resource "random_password" "admin_api_secret" {
  length  = 48
  special = false
}

resource "cloudflare_worker" "api" {
  account_id = var.cloudflare_account_id
  name       = var.worker_name

  # Only the custom domain serves it.
  subdomain = {
    enabled          = false
    previews_enabled = false
  }

  # Workers Logs: the one JSON line per request, every invocation.
  observability = {
    enabled            = true
    head_sampling_rate = 1
    logs = {
      enabled            = true
      head_sampling_rate = 1
      invocation_logs    = true
    }
  }
}

resource "cloudflare_worker_version" "api" {
  account_id          = var.cloudflare_account_id
  worker_id           = cloudflare_worker.api.id
  compatibility_date  = var.worker_compatibility_date
  compatibility_flags = []

  # A Rust worker is a JavaScript shim that instantiates a WebAssembly module: two
  # modules, which cloudflare_workers_script's single `content` cannot carry.
  main_module = "index.js"
  modules = [
    {
      name         = "index.js"
      content_type = "application/javascript+module"
      content_file = "${var.worker_build_dir}/index.js"
    },
    {
      name         = "index_bg.wasm"
      content_type = "application/wasm"
      content_file = "${var.worker_build_dir}/index_bg.wasm"
    },
  ]

  bindings = concat(
    [for name, value in local.worker_vars : { name = name, type = "plain_text", text = value }],
    [for name, value in merge(local.worker_secrets, local.worker_optional_secrets) : { name = name, type = "secret_text", text = value }],
    [for name, limit in local.rate_limits : {
      name         = name
      type         = "ratelimit"
      namespace_id = limit.namespace_id
      simple       = { limit = limit.limit, period = limit.period }
    }],
  )

  annotations = {
    workers_message = "terraform apply (${var.environment})"
  }
}

# All traffic to the version just made, once the migrations have run (migrations.tf),
# so the code never meets a schema older than it needs.
resource "cloudflare_workers_deployment" "api" {
  account_id  = var.cloudflare_account_id
  script_name = cloudflare_worker.api.name
  strategy    = "percentage"

  versions = [{
    version_id = cloudflare_worker_version.api.id
    percentage = 100
  }]

  depends_on = [terraform_data.migrations]
}

resource "cloudflare_workers_cron_trigger" "api" {
  account_id  = var.cloudflare_account_id
  script_name = cloudflare_worker.api.name
  schedules   = [for cron in local.cron_schedules : { cron = cron }]

  depends_on = [cloudflare_workers_deployment.api]
}

resource "cloudflare_workers_custom_domain" "api" {
  account_id = var.cloudflare_account_id
  zone_id    = var.cloudflare_zone_id
  hostname   = var.api_hostname
  service    = cloudflare_worker.api.name

  depends_on = [cloudflare_workers_deployment.api]
}
