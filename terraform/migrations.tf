# The schema before the code that needs it. `tora-dev migrate` applies the migrations
# not yet applied (and refuses an edited or missing one) to the app's database whenever
# a migration file or the database changes; the deployment of a new worker version waits
# for it (worker.tf). The connection string goes to the runner in its environment, so
# Terraform hides it and the runner's output.

variable "tora_dev_path" {
  description = "The migration runner this apply runs (`cargo build -p tora-dev`; in CI the tested build)."
  type        = string
  default     = "../target/debug/tora-dev"
}

locals {
  migrations_dir = "${path.root}/../migrations"
  migrations_sha = sha256(join(",", [
    for file in sort(fileset(local.migrations_dir, "*.sql")) :
    "${file}:${filesha256("${local.migrations_dir}/${file}")}"
  ]))
}

resource "terraform_data" "migrations" {
  triggers_replace = [local.migrations_sha, neon_database.app.id, neon_role.app.id]

  provisioner "local-exec" {
    command = "\"$TORA_DEV\" migrate --dir \"$MIGRATIONS_DIR\""
    environment = {
      TORA_DEV       = var.tora_dev_path
      MIGRATIONS_DIR = local.migrations_dir
      DATABASE_URL   = local.database_url
    }
  }
}
