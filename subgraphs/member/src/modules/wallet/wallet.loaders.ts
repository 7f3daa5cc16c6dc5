import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { readWallets, type WalletView } from './wallet-state';

export interface WalletLoaders {
  /** Balances of every wallet the request asks for, read at one ledger time. */
  wallet: DataLoader<string, WalletView | undefined>;
}

export function createWalletLoaders(dataSource: DataSource): WalletLoaders {
  return {
    wallet: new DataLoader(async (memberIds) => {
      const wallets = await readWallets(dataSource, memberIds);
      return memberIds.map((id) => wallets.get(id));
    }),
  };
}
