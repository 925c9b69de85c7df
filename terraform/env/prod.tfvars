# Production. Secrets are not here: the worker's are made by this stack, and an HS256
# secret (if one is used) comes from TF_VAR_jwt_hs256_secret.
environment  = "prod"
api_hostname = "api.tora.app"
worker_name  = "tora-api"

neon_region_id = "aws-us-east-2"
neon_max_cu    = 2

aws_region          = "us-east-1"
bedrock_region      = "us-east-1"
uploads_bucket_name = "tora-prod-uploads"

jwt_issuer           = "https://REPLACE_WITH_SUPABASE_PROJECT.supabase.co/auth/v1"
jwks_url             = "https://REPLACE_WITH_SUPABASE_PROJECT.supabase.co/auth/v1/.well-known/jwks.json"
cors_allowed_origins = ["https://app.tora.app"]
