import Foundation

/// A fresh directory under the system temporary directory, removed by the caller with `removeTemporary`.
func makeTemporaryDirectory() throws -> String {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("dropbench-data-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url.path
}

func removeTemporary(_ path: String) {
  try? FileManager.default.removeItem(atPath: path)
}

func writeFile(_ bytes: [UInt8], to path: String) throws {
  try Foundation.Data(bytes).write(to: URL(fileURLWithPath: path))
}

func readFile(_ path: String) throws -> [UInt8] {
  [UInt8](try Foundation.Data(contentsOf: URL(fileURLWithPath: path)))
}
