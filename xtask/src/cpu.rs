//! What a process has cost so far, read from `/proc`: the benchmarks' CPU figures.

/// The CPU seconds (user, system) a process has used so far, from its `/proc/<pid>/stat`
/// (`"self"` for this one); `None` off Linux.
pub(crate) fn cpu_times(pid: &str) -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (which may hold spaces) start at field 3: utime is
    // field 14, stime 15, in USER_HZ ticks (100 a second on every Linux architecture).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some((fields.get(11)?.parse::<f64>().ok()? / 100.0, fields.get(12)?.parse::<f64>().ok()? / 100.0))
}
