# Credentials come from the environment, never from files:
# CLOUDFLARE_API_TOKEN, NEON_API_KEY and the usual AWS variables (or an assumed role).
provider "cloudflare" {}

provider "neon" {}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      project     = "tora"
      environment = var.environment
      managed_by  = "terraform"
    }
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}
