module gobench/peers/go

go 1.27
