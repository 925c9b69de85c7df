# Inputs. Each environment sets its own in env/<environment>.tfvars; the defaults are
# the worker's own defaults (config::SETTINGS in crates/tora-core/src/config.rs).

variable "environment" {
  description = "Short name of the environment: dev or prod. Prefixes every resource name."
  type        = string

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod."
  }
}

# --- Cloudflare ---------------------------------------------------------------

variable "cloudflare_account_id" {
  description = "Cloudflare account that owns the worker (TF_VAR_cloudflare_account_id; in CI the repository variable CLOUDFLARE_ACCOUNT_ID)."
  type        = string
}

variable "cloudflare_zone_id" {
  description = "The zone the API's hostname is in (TF_VAR_cloudflare_zone_id; in CI the repository variable CLOUDFLARE_ZONE_ID)."
  type        = string
}

variable "api_hostname" {
  description = "Custom domain the worker answers on (a Workers Custom Domain: DNS record and certificate are Cloudflare's)."
  type        = string
}

variable "worker_name" {
  description = "Name of the worker script."
  type        = string
}

variable "worker_build_dir" {
  description = "Directory with the built worker (scripts/build-worker.sh): index.js, the JavaScript shim, and index_bg.wasm."
  type        = string
  default     = "../build"
}

variable "worker_compatibility_date" {
  description = "Workers runtime compatibility date; wrangler.toml's `compatibility_date`, kept equal by a test."
  type        = string
  default     = "2026-04-01"
}

# --- Neon ---------------------------------------------------------------------

variable "neon_region_id" {
  description = "Neon region of the project, near the Cloudflare colos that serve most requests."
  type        = string
  default     = "aws-us-east-2"
}

variable "neon_org_id" {
  description = "Neon organization the project belongs to (null: the API key's personal account)."
  type        = string
  default     = null
}

variable "neon_max_cu" {
  description = "Most compute units the endpoint autoscales to."
  type        = number
  default     = 1
}

# --- AWS ----------------------------------------------------------------------

variable "aws_region" {
  description = "Region of the uploads bucket (the worker's S3_REGION) and of the provider."
  type        = string
  default     = "us-east-1"
}

variable "bedrock_region" {
  description = "Region the worker signs Bedrock calls for (BEDROCK_REGION)."
  type        = string
  default     = "us-east-1"
}

variable "bedrock_model_id" {
  description = "Converse model or inference profile (BEDROCK_MODEL_ID). The IAM policy below is written for the us. Nova Lite profile."
  type        = string
  default     = "us.amazon.nova-lite-v1:0"
}

variable "bedrock_profile_regions" {
  description = "Destination regions of the us. inference profile: the foundation model must be allowed in each."
  type        = list(string)
  default     = ["us-east-1", "us-east-2", "us-west-2"]
}

variable "uploads_bucket_name" {
  description = "Name of the private bucket for uploads and exercise videos (S3_BUCKET)."
  type        = string
}

# --- What the worker is told --------------------------------------------------

variable "jwt_issuer" {
  description = "Required `iss` of tokens (JWT_ISSUER), e.g. https://<project>.supabase.co/auth/v1."
  type        = string

  validation {
    condition     = startswith(var.jwt_issuer, "https://") && !strcontains(var.jwt_issuer, "REPLACE_WITH")
    error_message = "jwt_issuer must be the identity provider's https issuer: fill in env/<environment>.tfvars."
  }
}

variable "jwt_audience" {
  description = "Required `aud` of tokens (JWT_AUDIENCE)."
  type        = string
  default     = "authenticated"
}

variable "jwks_url" {
  description = "JWKS of the identity provider (JWKS_URL) for ES256/RS256 tokens."
  type        = string

  validation {
    condition     = startswith(var.jwks_url, "https://") && !strcontains(var.jwks_url, "REPLACE_WITH")
    error_message = "jwks_url must be the identity provider's https JWKS URL: fill in env/<environment>.tfvars."
  }
}

variable "jwt_hs256_secret" {
  description = "Shared HS256 secret (JWT_HS256_SECRET), only for an identity provider that still signs with one. Pass it as TF_VAR_jwt_hs256_secret, never in a file."
  type        = string
  default     = null
  sensitive   = true
}

variable "cors_allowed_origins" {
  description = "Exact browser origins of the apps: the worker's CORS_ALLOWED_ORIGINS and the bucket's CORS for presigned PUTs."
  type        = list(string)
}

variable "starter_credits" {
  description = "STARTER_CREDITS: credits granted on a subject's first request."
  type        = number
  default     = 100
}

variable "tokens_per_credit" {
  description = "TOKENS_PER_CREDIT: tokens one credit buys."
  type        = number
  default     = 3000
}

variable "embedding_dimensions" {
  description = "EMBEDDING_DIMENSIONS: Titan Text Embeddings V2 size, 256, 512 or 1024. Changing it leaves older memories unrecalled."
  type        = number
  default     = 1024
}

variable "upload_url_expires_seconds" {
  description = "UPLOAD_URL_EXPIRES_SECONDS: how long a presigned upload URL works."
  type        = number
  default     = 900
}
