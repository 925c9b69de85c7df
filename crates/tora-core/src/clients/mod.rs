pub mod neon;
pub mod sigv4;
