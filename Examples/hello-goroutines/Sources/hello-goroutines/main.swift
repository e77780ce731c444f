// Sums 1...n over `workers` goroutines: each sends its partial sum on a channel, a
// WaitGroup says when all are done, and main checks the total against n(n+1)/2.
import Runtime
#if canImport(Glibc)
import Glibc
#endif

let workers = 8
let n = 100_000
var total = 0

let status = Runtime.run(RuntimeConfiguration(procs: 2)) {
    let sums = Channel<Int>(capacity: workers)
    let wg = WaitGroup()
    for w in 0..<workers {
        wg.add(1)
        go {
            var sum = 0
            for i in stride(from: w + 1, through: n, by: workers) { sum += i }
            sums.send(sum)
            wg.done()
        }
    }
    wg.wait()
    sums.close()
    while let s = sums.receive() { total += s }
}

let expected = n * (n + 1) / 2
print("hello-goroutines: \(workers) goroutines summed 1...\(n) = \(total)")
if status != 0 || total != expected {
    print("hello-goroutines: expected \(expected), runtime status \(status)")
    exit(1)
}
