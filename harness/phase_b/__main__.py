from harness.phase_b.inference_main import exit_now, main

exit_now(main())
