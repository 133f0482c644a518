import Foundation
import NumberFormat
import Testing

@Suite struct FmtTests {
  /// Values that probe rounding, signs, zeros, magnitudes and non-finite cases.
  static let values: [Double] = [
    0, -0.0, 0.004, -0.004, 0.005, -0.005, 0.125, 0.375, 1, -1, 2.5, 89.1, -0.40, 1234.5678, 1e-7, -1e-7, 1e15, 3e20,
    .nan, .infinity, -.infinity, 0.1 + 0.2, 99.995, -99.995,
  ]

  /// The printf forms print what C's printf prints, byte for byte: pages written with it regenerate unchanged.
  @Test func printfFormsMatchPrintf() {
    for x in Self.values {
      for d in 0...4 {
        #expect(Fmt.decimals(x, d) == String(format: "%.\(d)f", x))
        #expect(Fmt.decimals(x, d, sign: true) == String(format: "%+.\(d)f", x))
        #expect(Fmt.decimals(x, d, width: 9) == String(format: "%9.\(d)f", x))
        #expect(Fmt.scientific(x, d) == String(format: "%.\(d)e", x))
      }
      for digits in 1...6 { #expect(Fmt.significant(x, digits) == String(format: "%.\(digits)g", x)) }
    }
    #expect(Fmt.decimals(-0.004, 2) == "-0.00")
    #expect(Fmt.decimals(7.25, 1, width: 7) == "    7.2")
  }

  /// The report forms: no "-0.00", non-finite values spelled out, signs only where a value is not zero.
  @Test func reportForms() {
    #expect(Fmt.fixed(-0.004, 2) == "0.00")
    #expect(Fmt.fixed(89.1, 2) == "89.10")
    #expect(Fmt.fixed(.nan, 2) == "nan" && Fmt.fixed(-.infinity, 1) == "-inf")
    #expect(Fmt.signed(1.234, 2) == "+1.23")
    #expect(Fmt.signed(-0.4, 2) == "-0.40")
    #expect(Fmt.signed(-0.001, 2) == "0.00")
    #expect(Fmt.axis(0.1) == "0.1" && Fmt.axis(16) == "16" && Fmt.axis(50000) == "50000" && Fmt.axis(-1e-9) == "0")
    #expect(Fmt.plain(1) == "1" && Fmt.plain(0.5) == "0.5" && Fmt.plain(-3) == "-3" && Fmt.plain(1e-5) == "1e-05")
    #expect(Fmt.plain(.nan) == "nan" && Fmt.plain(1e16) == "1e+16")
  }

  @Test func integersAndDurations() {
    for n in [0, 7, 42, 123, -7] {
      #expect(Fmt.zeroPadded(n, width: 2) == String(format: "%02d", n))
      #expect(Fmt.zeroPadded(n, width: 4) == String(format: "%04d", n))
    }
    #expect(Fmt.count(10_000) == "10,000" && Fmt.count(999) == "999" && Fmt.count(-1_234_567) == "-1,234,567")
    #expect(Fmt.duration(42) == "42.0 s")
    #expect(Fmt.duration(187) == "3 min 07 s")
    #expect(Fmt.duration(7500) == "2 h 05 min")
    #expect(Fmt.duration(-1) == "unknown" && Fmt.duration(.nan) == "unknown")
    #expect(Fmt.clock(42) == "42s" && Fmt.clock(187) == "3m07s" && Fmt.clock(7500) == "2h05m")
    #expect(Fmt.padded("ab", width: 4) == "  ab" && Fmt.padded("abcde", width: 4) == "abcde")
  }
}
