//! Builds Lua 5.5 from the `lua-src` crate and links it.

fn main() {
    let artifacts = lua_src::Build::new().build(lua_src::Lua55);
    artifacts.print_cargo_metadata();
    println!("cargo:rerun-if-changed=build.rs");
}
