#if !SWITCHBOARD_FUZZING
    import Foundation

    /// The replay tool of a normal build (libFuzzer's build supplies its own `main`):
    /// `SwitchboardFuzz TARGET PATH...` runs every file (or every file under a folder) through the
    /// target once and exits 0, so a corpus or a crash's input can be checked without the fuzzer.
    /// A crash is the process's exit by its signal; a wrong command exits 2. `SwitchboardFuzz list`
    /// prints each target's name and `-max_len`.
    @main
    enum Replay {
        static func main() {
            let arguments = Array(CommandLine.arguments.dropFirst())
            if arguments == ["list"] {
                print(FuzzTarget.all.map { "\($0.name) \($0.maxLength)" }.joined(separator: "\n"))
                return
            }
            guard let name = arguments.first, let target = FuzzTarget.named(name), arguments.count > 1 else {
                FileHandle.standardError.write(
                    Data("usage: SwitchboardFuzz TARGET FILE_OR_FOLDER... | SwitchboardFuzz list\ntargets:\n\(FuzzTarget.listing)\n".utf8))
                exit(2)
            }
            var count = 0
            for path in arguments.dropFirst() {
                for file in files(at: path) {
                    guard let data = FileManager.default.contents(atPath: file) else {
                        FileHandle.standardError.write(Data("\(file) cannot be read\n".utf8))
                        exit(2)
                    }
                    target.run(Array(data))
                    count += 1
                }
            }
            print("\(target.name): \(count) input\(count == 1 ? "" : "s") replayed, no crash")
        }

        /// The file itself, or every regular file below a folder, sorted.
        static func files(at path: String) -> [String] {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else { return [path] }
            let names = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String]) ?? []
            return names.sorted().map { "\(path)/\($0)" }.filter { file in
                var isFolder: ObjCBool = false
                return FileManager.default.fileExists(atPath: file, isDirectory: &isFolder) && !isFolder.boolValue
            }
        }
    }
#endif
