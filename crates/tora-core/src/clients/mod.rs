pub mod bedrock;
pub mod neon;
pub mod sigv4;
