module example.com/gobenchbroken

go 1.22
