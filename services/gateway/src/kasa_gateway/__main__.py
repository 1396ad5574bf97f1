from kasa_gateway.main import main

main()
