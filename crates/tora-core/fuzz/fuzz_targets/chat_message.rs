#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tora_core_fuzz::within_budget(data, tora_core::fuzzing::chat_message);
});
