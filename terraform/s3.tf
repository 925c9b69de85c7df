# The private bucket: people's uploads under users/ (written and read only through URLs
# the worker signs) and the exercise videos under exercises/ (read only by CloudFront).

resource "aws_s3_bucket" "uploads" {
  #checkov:skip=CKV_AWS_18:No server access logs: CloudTrail data events are the audit trail for this bucket, and a log bucket would need one of its own.
  #checkov:skip=CKV_AWS_144:No cross-region replication: uploads are erased on request, and a replica is a second copy to erase; the videos are rebuilt from their source.
  #checkov:skip=CKV_AWS_21:Versioning off on purpose: a deleted upload must be gone (account erasure), not kept as a noncurrent version.
  #checkov:skip=CKV2_AWS_62:No event notifications: the worker learns of an upload from the client's /complete call and checks it with a signed HEAD.
  #checkov:skip=CKV_AWS_145:SSE-S3, not KMS: presigned PUTs and GETs and CloudFront's origin access then need no key grants; the objects are still encrypted at rest.
  bucket = var.uploads_bucket_name
}

resource "aws_s3_bucket_public_access_block" "uploads" {
  bucket                  = aws_s3_bucket.uploads.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# ACLs off: the bucket owner owns every object, whoever PUT it.
resource "aws_s3_bucket_ownership_controls" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# Versioning is explicitly off (see the skip above): erasure deletes for good.
resource "aws_s3_bucket_versioning" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  versioning_configuration {
    status = "Disabled"
  }
}

# Browsers PUT to presigned URLs straight from the apps, and may GET a fallback video
# link. Only the apps' origins, only the headers the worker signs.
resource "aws_s3_bucket_cors_configuration" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  cors_rule {
    allowed_methods = ["PUT", "GET", "HEAD"]
    allowed_origins = var.cors_allowed_origins
    allowed_headers = ["content-type"]
    expose_headers  = ["ETag"]
    max_age_seconds = 3000
  }
}

# Abandoned uploads: a multipart upload never finished is aborted after a day. Presigned
# uploads are single PUTs, so an upload that was PUT but never completed stays until
# the person's erasure (the worker has no prefix or tag that tells it apart yet).
resource "aws_s3_bucket_lifecycle_configuration" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  rule {
    id     = "abort-abandoned-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.uploads]
}

# Only the video distribution reads, and only exercises/. Everything under users/ is
# reached through URLs the uploads user signs; no policy grants it to anyone else.
data "aws_iam_policy_document" "uploads_bucket" {
  statement {
    sid       = "CloudFrontReadsExerciseVideos"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.uploads.arn}/exercises/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.videos.arn]
    }
  }

  statement {
    sid       = "DenyPlainHttp"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.uploads.arn, "${aws_s3_bucket.uploads.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  policy = data.aws_iam_policy_document.uploads_bucket.json

  # A policy on a bucket whose public access block is not in place yet can be refused.
  depends_on = [aws_s3_bucket_public_access_block.uploads]
}
