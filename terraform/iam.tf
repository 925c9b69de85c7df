# Two IAM users, because the worker holds two key pairs (AWS_* for Bedrock, S3_* for the
# bucket: config.rs): each can do exactly one job. The worker runs outside AWS and
# cannot assume a role, so these are long-lived keys; rotate one by tainting its
# aws_iam_access_key and applying (the new pair reaches the worker in the same apply).

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # With the `us.` profile, Bedrock routes each call to one of the profile's regions,
  # and IAM checks the foundation model in *that* region as well as the profile.
  nova_model_arns = [
    for region in var.bedrock_profile_regions :
    "arn:${local.partition}:bedrock:${region}::foundation-model/amazon.nova-lite-v1:0"
  ]
  nova_profile_arn = "arn:${local.partition}:bedrock:${var.bedrock_region}:${local.account_id}:inference-profile/us.amazon.nova-lite-v1:0"
  # Embeddings are InvokeModel on the model itself, in the signing region.
  titan_embed_arn = "arn:${local.partition}:bedrock:${var.bedrock_region}::foundation-model/amazon.titan-embed-text-v2:0"
}

# --- Bedrock: the model calls ------------------------------------------------

resource "aws_iam_user" "bedrock" {
  #checkov:skip=CKV_AWS_273:The worker runs on Cloudflare, outside AWS: it has no role to assume and no SSO session, only access keys.
  name = "tora-${var.environment}-bedrock"
  path = "/tora/"
}

data "aws_iam_policy_document" "bedrock" {
  statement {
    sid     = "InvokeNovaLiteAndTitanEmbeddings"
    effect  = "Allow"
    actions = ["bedrock:InvokeModel"]
    resources = concat(
      local.nova_model_arns,
      [local.nova_profile_arn, local.titan_embed_arn],
    )
  }
}

resource "aws_iam_user_policy" "bedrock" {
  #checkov:skip=CKV_AWS_40:One user per job with one inline policy; a group of one adds a resource and no control.
  name   = "invoke-models"
  user   = aws_iam_user.bedrock.name
  policy = data.aws_iam_policy_document.bedrock.json
}

resource "aws_iam_access_key" "bedrock" {
  user = aws_iam_user.bedrock.name
}

# --- S3: the uploads under users/ ---------------------------------------------

resource "aws_iam_user" "uploads" {
  #checkov:skip=CKV_AWS_273:The worker runs on Cloudflare, outside AWS: it has no role to assume and no SSO session, only access keys.
  name = "tora-${var.environment}-uploads"
  path = "/tora/"
}

data "aws_iam_policy_document" "uploads" {
  # Presigned PUT (an upload) and GET (a fallback video link), signed HEAD (completing
  # an upload) and GET (a meal photo the model reads), signed DELETE (erasure). HEAD is
  # authorised as s3:GetObject.
  statement {
    sid       = "UsersObjects"
    effect    = "Allow"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.uploads.arn}/users/*"]
  }

  # ListObjectsV2 under users/, to find every object of a person being erased.
  statement {
    sid       = "ListUsersPrefix"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.uploads.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["users/*"]
    }
  }
}

resource "aws_iam_user_policy" "uploads" {
  #checkov:skip=CKV_AWS_40:One user per job with one inline policy; a group of one adds a resource and no control.
  name   = "users-objects"
  user   = aws_iam_user.uploads.name
  policy = data.aws_iam_policy_document.uploads.json
}

resource "aws_iam_access_key" "uploads" {
  user = aws_iam_user.uploads.name
}
