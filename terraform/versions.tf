# Providers and state. The versions are pinned: a provider upgrade is a reviewed change.
terraform {
  # 1.10: the S3 backend's native lock file (`use_lockfile`).
  required_version = ">= 1.10.0"

  required_providers {
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = "~> 5.22"
    }
    neon = {
      source  = "kislerdm/neon"
      version = "~> 0.15.0"
    }
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
  }

  # Partial configuration: each environment's bucket, key and region are in
  # env/<environment>.s3.tfbackend (`terraform init -backend-config=env/prod.s3.tfbackend`).
  # The state holds secrets (the Neon password, the IAM keys, the generated worker
  # secrets): its bucket must be private, versioned and encrypted.
  backend "s3" {}
}
