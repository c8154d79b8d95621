//! Temporary: dumps every fixture's report.
use layerscope::{OpenOptions, inspect};
use layerscope_cli::input::Input;

#[test]
fn dump() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures");
    let mut paths = vec![];
    for dir in ["dive", "go-containerregistry", "go-containerregistry/layout"] {
        for e in std::fs::read_dir(format!("{root}/{dir}")).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|e| e == "tar") || p.is_dir() { paths.push(p); }
        }
    }
    paths.sort();
    for p in paths {
        let input = Input::from_arg(p.to_str().unwrap()).unwrap();
        let opts = OpenOptions::default();
        let mut src = input.source(&opts.limits).unwrap();
        match inspect(&mut *src, &opts) {
            Ok(i) => {
                let r = &i.report;
                println!("== {} format={:?} images={} ok={} layers={} warnings={:?}", p.display(), r.format, r.images.len(), r.verification.ok, r.layers.len(), r.warnings.iter().map(|w| &w.code).collect::<Vec<_>>());
                for c in r.failures() { println!("   FAIL {:?} {:?} {:?}", c.object, c.status, c.detail); }
                for l in &r.layers { println!("   L{} {:?} {:?} entries={:?} {:?}", l.index, l.status, l.compression, l.entries, l.created_by.as_deref().map(|s| &s[..s.len().min(50)])); }
            }
            Err(e) => println!("== {} ERROR {} : {e}", p.display(), e.kind()),
        }
    }
}
