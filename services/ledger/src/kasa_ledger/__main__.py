from kasa_ledger.main import main

main()
