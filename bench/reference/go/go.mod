module strata/bench/reference/go

go 1.19
