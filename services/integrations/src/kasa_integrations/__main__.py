from kasa_integrations.main import main

main()
