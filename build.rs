// The default theme and the `init` scaffold are embedded with include_dir; make cargo
// rebuild when any of their files change.
fn main() {
    println!("cargo:rerun-if-changed=themes/default");
    println!("cargo:rerun-if-changed=src/scaffold");
}
