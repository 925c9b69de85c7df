pub mod neon;
