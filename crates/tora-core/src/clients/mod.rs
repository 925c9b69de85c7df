pub mod bedrock;
pub mod neon;
pub mod s3;
pub mod sigv4;
