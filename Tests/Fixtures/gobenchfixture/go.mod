module example.com/gobenchfixture

go 1.22
