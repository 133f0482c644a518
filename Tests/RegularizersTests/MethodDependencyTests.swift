import Foundation
import Testing

@testable import Regularizers

/// A run's cache key covers the files of the methods it uses (`sourceFiles`). A method that calls another method's
/// code (DropConnect draws with `Dropout.mask`) must declare it with `uses:`, or an edit to that code would leave
/// its cached runs stale. Checked from the source text: a method file naming a type declared at the top level of
/// another method file must have that file among its `sourceFiles`.
@Suite struct MethodDependencyTests {
  static let methods = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Sources/Regularizers/Methods")

  /// Top-level types of a method file (`public final class Dropout`, `public enum InputDropout`, …).
  static func declaredTypes(_ text: String) -> [String] {
    text.split(separator: "\n").compactMap { line -> String? in
      let words = line.split(separator: " ")
      guard line.hasPrefix("public "), let i = words.firstIndex(where: { ["class", "struct", "enum"].contains($0) }),
        i + 1 < words.count
      else { return nil }
      return String(words[i + 1].prefix { $0.isLetter || $0.isNumber })
    }
  }

  /// Whether `code` names `type` as a whole word followed by `.` or `(`.
  static func names(_ code: String, _ type: String) -> Bool {
    var search = code.startIndex..<code.endIndex
    while let r = code.range(of: type, range: search) {
      let before = r.lowerBound == code.startIndex ? " " : code[code.index(before: r.lowerBound)]
      let after = r.upperBound == code.endIndex ? " " : code[r.upperBound]
      if !(before.isLetter || before.isNumber), after == "." || after == "(" { return true }
      search = r.upperBound..<code.endIndex
    }
    return false
  }

  @Test func methodFilesDeclareTheMethodsTheyCall() throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: Self.methods.path).filter { $0.hasSuffix(".swift") }
    var types: [String: [String]] = [:]
    var code: [String: String] = [:]
    for name in files {
      let path = Self.methods.appendingPathComponent(name).path
      let text = try String(contentsOfFile: path, encoding: .utf8)
      types[name] = Self.declaredTypes(text)
      // Code only: doc comments may mention other methods freely.
      code[name] = text.split(separator: "\n").filter {
        !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//")
      }.joined(separator: "\n")
    }
    #expect(types["Dropout.swift"] == ["Dropout"] && types["CorrDrop.swift"] == ["CorrDrop"])
    for descriptor in RegularizerRegistry.all {
      let own = URL(fileURLWithPath: descriptor.sourceFile).lastPathComponent
      let declared = Set(descriptor.sourceFiles.map { URL(fileURLWithPath: $0).lastPathComponent })
      for (other, otherTypes) in types where other != own {
        for type in otherTypes where Self.names(code[own] ?? "", type) {
          #expect(declared.contains(other), "\(descriptor.name) (\(own)) uses \(type) but does not declare \(other)")
        }
      }
    }
  }

  @Test func theScanFindsAnUndeclaredUse() {
    #expect(Self.names("let m = Dropout.mask(count: 3)", "Dropout"))
    #expect(!Self.names("let m = SpatialDropout.mask(count: 3)", "Dropout"))
    // The declared sets: DropConnect's includes Dropout's file, Dropout's only its own.
    let dropConnect = RegularizerRegistry.descriptor("dropconnect")!.sourceFiles.map { URL(fileURLWithPath: $0).lastPathComponent }
    #expect(dropConnect == ["DropConnect.swift", "Dropout.swift"])
    #expect(RegularizerRegistry.descriptor("dropout")!.sourceFiles.count == 1)
  }
}
