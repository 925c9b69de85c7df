# A shared development environment: the same stack, smaller and under other names.
environment  = "dev"
api_hostname = "api-dev.tora.app"
worker_name  = "tora-api-dev"

neon_region_id = "aws-us-east-2"
neon_max_cu    = 0.5

aws_region          = "us-east-1"
bedrock_region      = "us-east-1"
uploads_bucket_name = "tora-dev-uploads"

jwt_issuer           = "https://REPLACE_WITH_SUPABASE_DEV_PROJECT.supabase.co/auth/v1"
jwks_url             = "https://REPLACE_WITH_SUPABASE_DEV_PROJECT.supabase.co/auth/v1/.well-known/jwks.json"
cors_allowed_origins = ["https://app-dev.tora.app", "http://localhost:8081"]
starter_credits      = 1000
