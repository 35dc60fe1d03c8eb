package main

import (
	"os"

	"github.com/spf13/cobra"
)

func newCommand() *cobra.Command {
	var configFile string
	scratch := defaultConfig() // holds flag defaults for --help; loadConfig applies only flags that were set
	cmd := &cobra.Command{
		Use:           "kmipd",
		Short:         "KMIP server over mutual TLS",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(configFile, cmd.Flags(), os.LookupEnv)
			if err != nil {
				return err
			}
			return run(cmd.Context(), cfg)
		},
	}
	cmd.Flags().StringVar(&configFile, "config", os.Getenv("KMIPD_CONFIG"), "YAML configuration file (kmipd.yaml)")
	for _, s := range settings(&scratch) {
		cmd.Flags().Var(s.value, s.flag, s.usage+" (env "+s.env()+")")
	}
	return cmd
}
