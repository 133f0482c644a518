import Foundation

/// Every number DropBench writes as text — pages, figures, verdicts, errors, progress, bench tables — goes through
/// these functions, so one value always reads the same and the same results always give the same bytes. All are
/// locale-independent.
///
/// Two families: `fixed`, `signed`, `axis` and `plain` are the report forms (no "-0.00", non-finite values spelled
/// out); `decimals`, `significant` and `scientific` are C's `printf` forms byte for byte (`%.2f`, `%+.2f`, `%7.1f`,
/// `%.4g`, `%.1e`: a negative value that rounds to zero keeps its sign, "-0.00"), which pages written with them
/// keep so that regenerated reports stay byte-identical.
public enum Fmt {
  // MARK: Report forms

  /// `x` with exactly `decimals` decimals ("89.10"); never "-0.00"; "nan", "inf", "-inf".
  public static func fixed(_ x: Double, _ decimals: Int) -> String {
    guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
    let s = Self.decimals(x, decimals)
    return isNegativeZero(s) ? String(s.dropFirst()) : s
  }

  /// `x` with a sign: "+1.23", "-0.40", "0.00".
  public static func signed(_ x: Double, _ decimals: Int) -> String {
    let s = fixed(x, decimals)
    return s.hasPrefix("-") || isZero(s) ? s : "+" + s
  }

  /// A coordinate as written on an axis: at most 6 decimals, trailing zeros dropped ("0.1", "16", "50000").
  public static func axis(_ x: Double) -> String {
    guard x.isFinite else { return fixed(x, 0) }
    var s = fixed(x, 6)
    if s.contains(".") {
      while s.hasSuffix("0") { s.removeLast() }
      if s.hasSuffix(".") { s.removeLast() }
    }
    return s == "-0" ? "0" : s
  }

  /// A number without a trailing ".0" when it is integral ("1", "0.5", "1e-05"): Swift's shortest round-trip text
  /// otherwise.
  public static func plain(_ x: Double) -> String {
    if x.isFinite, x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
    return x.description
  }

  // MARK: printf forms

  /// `x` with exactly `decimals` decimals as `printf("%.*f")` writes it; with `sign`, "+" before a positive value
  /// (`%+.*f`); right-aligned in `width` columns when it is shorter (`%*.*f`).
  public static func decimals(_ x: Double, _ decimals: Int, sign: Bool = false, width: Int = 0) -> String {
    padded(String(format: "%\(sign ? "+" : "").\(decimals)f", x), width: width)
  }

  /// `x` with `digits` significant digits, as `printf("%.*g")` writes it ("0.1234", "1.235e+04").
  public static func significant(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)g", x) }

  /// `x` in scientific notation with `decimals` decimals, as `printf("%.*e")` writes it ("1.2e+03").
  public static func scientific(_ x: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)e", x) }

  // MARK: Integers and durations

  /// `n` zero-padded to `width` characters, sign included, as `printf("%0*d")` writes it ("07", "-7").
  public static func zeroPadded(_ n: Int, width: Int) -> String {
    let digits = String(n.magnitude)
    let sign = n < 0 ? "-" : ""
    return sign + String(repeating: "0", count: max(0, width - sign.count - digits.count)) + digits
  }

  /// A count with thousands separators: "10,000".
  public static func count(_ n: Int) -> String {
    var digits = String(n.magnitude)
    var groups: [String] = []
    while digits.count > 3 {
      groups.insert(String(digits.suffix(3)), at: 0)
      digits.removeLast(3)
    }
    groups.insert(digits, at: 0)
    return (n < 0 ? "-" : "") + groups.joined(separator: ",")
  }

  /// A duration in words: "42.0 s", "3 min 07 s", "2 h 05 min"; "unknown" when negative or not finite.
  public static func duration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "unknown" }
    if seconds < 60 { return fixed(seconds, 1) + " s" }
    let total = Int(seconds.rounded())
    let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60)
    if h > 0 { return "\(h) h " + zeroPadded(m, width: 2) + " min" }
    return "\(m) min " + zeroPadded(s, width: 2) + " s"
  }

  /// A duration as a progress line shows it: "42s", "3m07s", "2h05m".
  public static func clock(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    if s >= 3600 { return "\(s / 3600)h\(zeroPadded((s % 3600) / 60, width: 2))m" }
    if s >= 60 { return "\(s / 60)m\(zeroPadded(s % 60, width: 2))s" }
    return "\(s)s"
  }

  /// `text` right-aligned in `width` columns (unchanged when it is as long or longer).
  public static func padded(_ text: String, width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
  }

  private static func isNegativeZero(_ s: String) -> Bool { s.hasPrefix("-") && isZero(String(s.dropFirst())) }

  private static func isZero(_ s: String) -> Bool { s.allSatisfy { $0 == "0" || $0 == "." } }
}
