from kasa_invoicing.main import main

main()
