# Exercise videos through CloudFront: https://<distribution>/exercises/<id>.mp4. The
# distribution signs its requests to the bucket with an origin access control (OAC,
# SigV4); the bucket policy in s3.tf lets only this distribution read exercises/.
# Its domain is the worker's VIDEO_CDN_DOMAIN.

resource "aws_cloudfront_origin_access_control" "videos" {
  name                              = "tora-${var.environment}-videos"
  description                       = "CloudFront reads exercise videos from the private bucket"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

locals {
  videos_origin_id = "uploads-bucket"
  # AWS managed policies: CachingOptimized, and SecurityHeadersPolicy (HSTS, nosniff,
  # frame options, referrer policy).
  caching_optimized_policy_id = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  security_headers_policy_id  = "67f7725c-6f97-4210-82d7-5512b31e9d03"
}

resource "aws_cloudfront_distribution" "videos" {
  #checkov:skip=CKV_AWS_68:No WAF: the distribution serves public, static videos and nothing else; Cloudflare's edge fronts the API.
  #checkov:skip=CKV2_AWS_47:No WAF (see CKV_AWS_68): there is no application behind this distribution to exploit.
  #checkov:skip=CKV_AWS_86:No access logs: the videos are public catalog content; CloudFront's standard metrics cover their traffic.
  #checkov:skip=CKV_AWS_310:No origin failover: a single bucket in one region; videos are rebuilt from their source if it is lost.
  #checkov:skip=CKV_AWS_174:The default *.cloudfront.net certificate is used, whose TLS policy AWS sets (TLSv1 minimum cannot be raised without a custom domain).
  #checkov:skip=CKV2_AWS_42:The default *.cloudfront.net certificate: the domain is only ever handed out by the worker in video_url.
  #checkov:skip=CKV_AWS_374:No geo restriction: the app is offered worldwide.
  #checkov:skip=CKV2_AWS_32:A response headers policy is attached: AWS's managed SecurityHeadersPolicy, by id, which the check does not recognise.
  #checkov:skip=CKV_AWS_305:No default root object: the distribution serves named videos only, and / is a 403 from the bucket.
  comment         = "tora ${var.environment} exercise videos"
  enabled         = true
  is_ipv6_enabled = true
  http_version    = "http2and3"
  price_class     = "PriceClass_100"

  origin {
    origin_id                = local.videos_origin_id
    domain_name              = aws_s3_bucket.uploads.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.videos.id
  }

  default_cache_behavior {
    target_origin_id           = local.videos_origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = false
    cache_policy_id            = local.caching_optimized_policy_id
    response_headers_policy_id = local.security_headers_policy_id
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }
}
