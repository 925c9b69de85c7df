output "api_url" {
  description = "Where the API answers."
  value       = "https://${cloudflare_workers_custom_domain.api.hostname}"
}

output "health_url" {
  description = "The API's health check (database included)."
  value       = "https://${cloudflare_workers_custom_domain.api.hostname}/health"
}

output "video_cdn_domain" {
  description = "The video distribution's domain (the worker's VIDEO_CDN_DOMAIN)."
  value       = aws_cloudfront_distribution.videos.domain_name
}

output "uploads_bucket" {
  description = "The private uploads bucket; exercise videos go under exercises/."
  value       = aws_s3_bucket.uploads.bucket
}

output "neon_sql_url" {
  description = "The worker's NEON_SQL_URL."
  value       = local.neon_sql_url
}

output "database_url" {
  description = "The app role's connection string (migrations.tf gives it to the migration runner; this is for a person who needs psql)."
  value       = local.database_url
  sensitive   = true
}

output "admin_api_secret" {
  description = "The bearer secret of POST /admin/credits."
  value       = random_password.admin_api_secret.result
  sensitive   = true
}
