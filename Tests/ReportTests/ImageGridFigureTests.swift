import Foundation
import Testing

@testable import Report

@Suite struct ImageGridFigureTests {
  static func figure() -> ImageGridFigure {
    let panels = (0..<5).map { i in
      ImageGridFigure.Panel(title: "p\(i)", pixels: (0..<4).map { Float(i * 4 + $0) / 8 - 1 }, size: 2)
    }
    return ImageGridFigure(name: "grid", columns: 2, title: "five panels", panels: panels)
  }

  /// One matrix block per panel, each row a line of 4-decimal values; the script lays the panels out in rows of
  /// `columns` and plots each block by its index.
  @Test func dataAndScript() {
    let f = Self.figure()
    let blocks = f.data.components(separatedBy: "\n\n\n").filter {
      !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }
    #expect(blocks.count == 5)
    #expect(f.data.hasPrefix("# grid: one block per panel (index i), 2×2 matrix\n-1.0000 -0.8750\n-0.7500 -0.6250\n"))
    #expect(f.script.contains("set multiplot layout 3,2 title \"five panels\""))
    #expect(f.script.contains("plot 'grid.dat' index 4 matrix with image"))
    #expect(f.script.contains("set title \"p4\""))
  }

  /// Written twice, the files are the same bytes; the script is returned.
  @Test func writesBothFiles() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dropbench-grid-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let script = try Self.figure().write(to: dir, render: false)
    #expect(script.lastPathComponent == "grid.gp")
    #expect(try String(contentsOf: dir.appendingPathComponent("grid.dat"), encoding: .utf8) == Self.figure().data)
    #expect(try String(contentsOf: script, encoding: .utf8) == Self.figure().script)
  }
}
