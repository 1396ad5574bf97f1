from kasa_web.main import main

main()
