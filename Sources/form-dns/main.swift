print("form-dns")
