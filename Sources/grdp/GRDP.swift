import GRDPCore

@main
struct GRDP {
    static func main() {
        print("grdp")
    }
}
