from kasa_audit.main import main

main()
